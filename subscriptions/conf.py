"""Subscription settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def confirm_link_max_age() -> timedelta:
    """How long a confirmation link works; unconfirmed sign-ups are purged after it."""
    return timedelta(days=getattr(settings, "SUBSCRIPTIONS_CONFIRM_DAYS", 7))


def signup_rate_per_ip() -> str:
    return str(getattr(settings, "SUBSCRIPTIONS_SIGNUP_RATE_PER_IP", "20/h"))


def signup_rate_per_address() -> str:
    return str(getattr(settings, "SUBSCRIPTIONS_SIGNUP_RATE_PER_ADDRESS", "5/h"))
