"""Rotating SECRET_KEY (docs/operations.md): links signed with the old key keep working while
it is listed in SECRET_KEY_FALLBACKS, and stop once it is removed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from subscriptions.services.links import manage_url, unsubscribe_url
from tests.factories import SubscriberFactory
from tests.procs import ROOT, base_env

pytestmark = pytest.mark.slow

OLD, NEW = "old-key-" + "o" * 50, "new-key-" + "n" * 50


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.mark.django_db
def test_old_links_work_while_the_old_key_is_a_fallback(client: Client, settings) -> None:
    settings.SECRET_KEY = OLD
    reader = SubscriberFactory()
    links = [path_of(manage_url(reader)), path_of(unsubscribe_url(reader))]

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert [client.get(link).status_code for link in links] == [200, 200]

    settings.SECRET_KEY_FALLBACKS = []
    assert [client.get(link).status_code for link in links] == [400, 400]


def test_fallback_keys_are_read_from_the_environment_or_a_file(tmp_path) -> None:
    keys = tmp_path / "fallbacks"
    keys.write_text("first-old-key\nsecond-old-key\n")
    code = "from django.conf import settings; print('|'.join(settings.SECRET_KEY_FALLBACKS))"
    for env in ({"SECRET_KEY_FALLBACKS": "first-old-key, second-old-key"},
                {"SECRET_KEY_FALLBACKS_FILE": str(keys)}):  # fmt: skip
        environment = base_env(DJANGO_SETTINGS_MODULE="config.settings.local", **env)
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert result.stdout.strip().splitlines()[-1] == "first-old-key|second-old-key"
