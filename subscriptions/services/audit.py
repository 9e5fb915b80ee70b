from __future__ import annotations

from typing import Any

from subscriptions.models import AuditEvent, Subscriber

Actor = AuditEvent.Actor


def record_event(
    action: str,
    subscriber: Subscriber | None,
    *,
    actor: str = Actor.SUBSCRIBER,
    user: Any = None,
    **details: Any,
) -> AuditEvent:
    """Write one audit row. `details` must be JSON-safe and free of the subscriber's address."""
    # Anonymous request users (sign-up pages) are recorded as the subscriber, not as staff.
    staff = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=Actor.USER if staff is not None else actor,
        user=staff,
        action=action,
        subscriber=subscriber,
        details=details,
    )
