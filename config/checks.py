"""Paperboy's own system checks (`manage.py check`; the deploy ones with `check --deploy`)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# Variables an older release read, whose job is now done differently: a value left set would
# otherwise be ignored without a word.
RETIRED_VARIABLES = {
    "ADMIN_LOGIN_RATE_PER_IP": "ADMIN_LOGIN_FAILURES_PER_ADDRESS",
    "ADMIN_LOGIN_RATE_PER_USER": "ADMIN_LOGIN_FAILURES_PER_PAIR",
}


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_is_https(**kwargs: Any) -> list[checks.CheckMessage]:
    """Every emailed link, List-Unsubscribe included, is built on SITE_URL; mailbox providers'
    one-click unsubscribe takes only an https URL, and http links leak tokens on the way."""
    url = urlsplit(str(settings.SITE_URL))
    if url.scheme == "https" and url.hostname:
        return []
    message = f"SITE_URL must be an https URL in production, got {settings.SITE_URL!r}"
    return [checks.Error(message, hint="docs/operations.md, Deploy", id="paperboy.E101")]


@checks.register(checks.Tags.security)
def check_retired_variables(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Warning(
            f"{old} is no longer read (admin logins now count failures only); "
            f"see {new} in .env.example",
            id="paperboy.W102",
        )
        for old, new in RETIRED_VARIABLES.items()
        if old in os.environ
    ]
