"""Digest settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def quiet_day_note() -> bool:
    """Send a short "quiet day" note when nothing clears the score floor (default: no email)."""
    return bool(getattr(settings, "DIGEST_QUIET_DAY_NOTE", False))


def link_max_age() -> timedelta:
    """How long a digest's feedback and view links work after its date."""
    return timedelta(days=int(getattr(settings, "DIGEST_LINK_MAX_AGE_DAYS", 180)))


def nudge_interval() -> timedelta:
    """At most one "add some interests" email per this interval."""
    return timedelta(days=int(getattr(settings, "DIGEST_NUDGE_INTERVAL_DAYS", 7)))
