"""`manage.py check --deploy` warns when mail would come From a domain unrelated to the site's:
receivers' DMARC alignment and people's trust both expect the two to match."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.checks import check_from_address
from tests.config.test_bad_configuration import PRODUCTION
from tests.procs import ROOT, base_env


@pytest.mark.parametrize(
    ("from_email", "site_url"),
    [
        ("Paperboy <paperboy@paperboy.example.org>", "https://paperboy.example.org"),
        ("paperboy@example.org", "https://paperboy.example.org"),  # the site is a subdomain
        ("Paperboy <digest@mail.paperboy.example.org>", "https://paperboy.example.org/app"),
        ("Paperboy <paperboy@PAPERBOY.Example.org>", "https://paperboy.example.org"),
        ("Paperboy <paperboy@bücher.example>", "https://xn--bcher-kva.example"),
    ],
)
def test_a_from_domain_that_is_the_sites_or_related_passes(
    settings: SettingsWrapper, from_email: str, site_url: str
) -> None:
    settings.DEFAULT_FROM_EMAIL, settings.SITE_URL = from_email, site_url
    assert check_from_address() == []


@pytest.mark.parametrize(
    "from_email",
    [
        "Paperboy <paperboy@localhost>",
        "paperboy@gmail.com",
        "Paperboy <paperboy@notpaperboy.example.org>",  # a suffix, not a subdomain
        "Paperboy <paperboy@example.org.evil.test>",
    ],
)
def test_a_from_domain_unrelated_to_the_site_is_a_warning(
    settings: SettingsWrapper, from_email: str
) -> None:
    settings.DEFAULT_FROM_EMAIL, settings.SITE_URL = from_email, "https://paperboy.example.org"
    (warning,) = check_from_address()
    assert warning.id == "paperboy.W301"
    assert warning.level == 30  # a warning: a deliberate choice (a mail domain) stays possible
    assert "paperboy.example.org" in warning.msg
    assert from_email in warning.msg


@pytest.mark.parametrize("from_email", ["", "Paperboy", "Paperboy <paperboy@>", "a@b@c"])
def test_a_from_address_without_a_domain_is_an_error(
    settings: SettingsWrapper, from_email: str
) -> None:
    settings.DEFAULT_FROM_EMAIL = from_email
    (error,) = check_from_address()
    assert error.id == "paperboy.E301"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("from_email", "warned"),
    [("Paperboy <paperboy@other.example.net>", True), (PRODUCTION["DEFAULT_FROM_EMAIL"], False)],
)
def test_check_deploy_names_a_from_address_off_the_sites_domain(
    from_email: str, warned: bool
) -> None:
    env = {**PRODUCTION, "SECRET_KEY": "k3Y-" * 15, "DEFAULT_FROM_EMAIL": from_email}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=base_env(**env), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert ("paperboy.W301" in output) is warned, output
    # Only with --deploy: a laptop's defaults are not production's business.
    plain = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=base_env(**env), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "paperboy.W301" not in plain.stdout + plain.stderr
