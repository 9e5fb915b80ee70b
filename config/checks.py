"""Paperboy's own system checks (`manage.py check`; the deploy ones with `check --deploy`)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# Variables an older release read, whose job is now done differently: a value left set would
# otherwise be ignored without a word. {old: (what replaced it, why)}
_LOGINS = "admin logins now count failures only"
_LEASES = "a sending worker now renews a lease on its digests"
RETIRED_VARIABLES = {
    "ADMIN_LOGIN_RATE_PER_IP": ("ADMIN_LOGIN_FAILURES_PER_ADDRESS", _LOGINS),
    "ADMIN_LOGIN_RATE_PER_USER": ("ADMIN_LOGIN_FAILURES_PER_PAIR", _LOGINS),
    "SEND_CLAIM_TIMEOUT": ("SEND_LEASE_SECONDS and SEND_QUEUE_TIMEOUT", _LEASES),
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
            f"{old} is no longer read ({why}); see {new} in .env.example",
            id="paperboy.W102",
        )
        for old, (new, why) in RETIRED_VARIABLES.items()
        if old in os.environ
    ]


@checks.register()
def check_delivery_timing(**kwargs: Any) -> list[checks.CheckMessage]:
    """The recovery sweep's timings (docs/operations.md, "How delivery recovers")."""
    names = ("SEND_LEASE_SECONDS", "SEND_QUEUE_TIMEOUT", "DELIVERY_SWEEP_SECONDS")
    bad = [name for name in names if float(getattr(settings, name)) <= 0]
    if bad:
        message = f"{', '.join(bad)} must be a positive number of seconds"
        return [checks.Error(message, id="paperboy.E103")]
    lease, timeout = float(settings.SEND_LEASE_SECONDS), settings.EMAIL_TIMEOUT
    if timeout is not None and lease < 2 * float(timeout):
        message = (
            f"SEND_LEASE_SECONDS ({lease:g}) is under twice EMAIL_TIMEOUT ({timeout}): a slow "
            "SMTP reply can outlast a live worker's lease, and its digest is then recorded "
            "uncertain as if the worker had died (never sent twice)"
        )
        return [checks.Warning(message, id="paperboy.W103")]
    return []
