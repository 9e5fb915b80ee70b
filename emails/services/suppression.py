"""The suppression list and the bounce/complaint events that feed it.

A hard bounce, a complaint or a 5xx at send time suppresses the address at once; soft bounces
do after SOFT_BOUNCE_THRESHOLD of them within SOFT_BOUNCE_WINDOW_DAYS. Suppressed addresses are
checked when digests are recorded (enqueue) and again just before each send.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from emails import conf
from emails.models import DeliveryEvent, Suppression

IMMEDIATE: dict[str, str] = {
    DeliveryEvent.Kind.HARD_BOUNCE: Suppression.Reason.HARD_BOUNCE,
    DeliveryEvent.Kind.COMPLAINT: Suppression.Reason.COMPLAINT,
    DeliveryEvent.Kind.REJECTED: Suppression.Reason.REJECTED,
}


def normalise(email: str) -> str:
    return email.strip().lower()


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=normalise(email)).exists()


def suppressed_among(emails: Iterable[str]) -> set[str]:
    wanted = {normalise(email) for email in emails}
    return set(Suppression.objects.filter(email__in=wanted).values_list("email", flat=True))


def suppress_address(email: str, reason: str, detail: str = "") -> Suppression:
    suppression, _ = Suppression.objects.get_or_create(
        email=normalise(email), defaults={"reason": reason, "detail": detail[:2000]}
    )
    return suppression


def record_delivery_event(
    email: str, kind: str, event_id: str, *, source: str = "", detail: str = ""
) -> bool:
    """Record one event (once per `event_id`) and suppress if it calls for it.

    Returns False for a replayed event id (nothing changes).
    """
    email = normalise(email)
    try:
        with transaction.atomic():
            DeliveryEvent.objects.create(
                email=email, kind=kind, event_id=event_id[:255], source=source, detail=detail[:2000]
            )
    except IntegrityError:
        return False
    if kind in IMMEDIATE:
        suppress_address(email, IMMEDIATE[kind], detail)
    elif (
        kind == DeliveryEvent.Kind.SOFT_BOUNCE
        and _soft_bounces(email) >= conf.soft_bounce_threshold()
    ):
        suppress_address(email, Suppression.Reason.SOFT_BOUNCES, detail)
    return True


def _soft_bounces(email: str) -> int:
    since = timezone.now() - conf.soft_bounce_window()
    return DeliveryEvent.objects.filter(
        email=email, kind=DeliveryEvent.Kind.SOFT_BOUNCE, created_at__gte=since
    ).count()
