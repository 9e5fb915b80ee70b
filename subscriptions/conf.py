"""Subscription settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def confirm_link_max_age() -> timedelta:
    """How long a confirmation link works; unconfirmed sign-ups are purged after it."""
    return timedelta(days=getattr(settings, "SUBSCRIPTIONS_CONFIRM_DAYS", 7))


def unconfirmed_retention() -> timedelta:
    """How long an unconfirmed sign-up is kept after its last confirmation email
    (RETENTION_UNCONFIRMED_DAYS), never less than a day past the confirmation link's lifetime."""
    days = timedelta(days=int(getattr(settings, "RETENTION_UNCONFIRMED_DAYS", 8)))
    return max(days, confirm_link_max_age() + timedelta(days=1))


def signup_rate_per_ip() -> str:
    return str(getattr(settings, "SUBSCRIPTIONS_SIGNUP_RATE_PER_IP", "20/h"))


def signup_rate_per_address() -> str:
    return str(getattr(settings, "SUBSCRIPTIONS_SIGNUP_RATE_PER_ADDRESS", "5/h"))
