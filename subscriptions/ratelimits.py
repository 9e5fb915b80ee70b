"""Rate limits for the public forms, counted in the shared cache (Redis) by django-ratelimit."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from subscriptions import conf


def ip_limited(request: HttpRequest, group: str) -> bool:
    """Count this request against its client address; True once over the limit."""
    return bool(
        is_ratelimited(
            request,
            group=f"subscriptions.{group}.ip",
            key="ip",
            rate=conf.signup_rate_per_ip(),
            increment=True,
        )
    )


def address_limited(request: HttpRequest, group: str, email: str) -> bool:
    """Count a request for `email`: stops anyone flooding one mailbox with confirmations."""
    digest = hashlib.sha256(email.encode()).hexdigest()
    return bool(
        is_ratelimited(
            request,
            group=f"subscriptions.{group}.address",
            key=lambda _g, _r: digest,
            rate=conf.signup_rate_per_address(),
            increment=True,
        )
    )
