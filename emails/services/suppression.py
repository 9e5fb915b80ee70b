"""The suppression list and the bounce/complaint events that feed it.

A hard bounce, a complaint or a 5xx at send time suppresses the address at once; soft bounces
do after SOFT_BOUNCE_THRESHOLD of them within SOFT_BOUNCE_WINDOW_DAYS. Suppressed addresses are
checked when digests are recorded (enqueue) and again just before each send.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from emails import conf
from emails.models import DeliveryEvent, Suppression
from subscriptions.addresses import AddressError, canonical_or_lower, check_public
from subscriptions.models import Subscriber
from subscriptions.services.erasure import forget_admin_history

IMMEDIATE: dict[str, str] = {
    DeliveryEvent.Kind.HARD_BOUNCE: Suppression.Reason.HARD_BOUNCE,
    DeliveryEvent.Kind.COMPLAINT: Suppression.Reason.COMPLAINT,
    DeliveryEvent.Kind.REJECTED: Suppression.Reason.REJECTED,
}


def normalise(email: str) -> str:
    """The canonical address (subscriptions.addresses): a suppression of any spelling of a
    mailbox suppresses them all."""
    return canonical_or_lower(email)


# A deleted subscriber's suppression keeps only this hash of the address (see forget_addresses).
HASH_PREFIX = "sha256:"


def address_hash(email: str) -> str:
    return HASH_PREFIX + hashlib.sha256(normalise(email).encode()).hexdigest()


def is_suppressed(email: str) -> bool:
    return suppression_of(email) is not None


def suppression_of(email: str) -> Suppression | None:
    """The row that stops mail to this address (any spelling of it), if there is one."""
    email = normalise(email)
    return Suppression.objects.filter(email__in=[email, address_hash(email)]).first()


def suppressed_among(emails: Iterable[str]) -> set[str]:
    wanted = {normalise(email) for email in emails}
    hashed = {address_hash(email): email for email in wanted}
    rows = Suppression.objects.filter(email__in=[*wanted, *hashed]).values_list("email", flat=True)
    # Rows stored before addresses had to be public (local@localhost) are never mailed either.
    return {hashed.get(row, row) for row in rows} | {e for e in wanted if not is_public(e)}


def is_public(email: str) -> bool:
    try:
        check_public(email)
    except AddressError:
        return False
    return True


def forget_addresses(emails: Iterable[str]) -> None:
    """Erase these addresses from the bounce records (a subscriber's deletion).

    Their delivery events go. A suppression stays, keyed by the address's SHA-256 only and
    without the bounce text: an address that bounced or complained is never mailed again,
    yet the list no longer holds it (docs/operations.md, "Deleting a subscriber").
    """
    given = set(emails)
    wanted = given | {normalise(email) for email in given}  # rows written before normalising too
    DeliveryEvent.objects.filter(email__in=wanted).delete()
    for suppression in Suppression.objects.filter(email__in=wanted):
        hashed = address_hash(suppression.email)
        if Suppression.objects.filter(email=hashed).exists():
            suppression.delete()
        else:
            Suppression.objects.filter(pk=suppression.pk).update(email=hashed, detail="")


def forget_erased(emails: Iterable[str]) -> None:
    """Erase what emails holds about erased subscribers' addresses (subscriptions' erasure
    announces them: emails/receivers.py): the bounce records, as `forget_addresses`, and the
    admin history entries that name those records."""
    found = set(emails)
    with transaction.atomic():
        _forget_admin_history(found)
        forget_addresses(found)


def forget_unowned_addresses(*, dry_run: bool = False, batch: int = 500) -> int:
    """Bounce records of addresses no subscriber has (a bounce that arrived after its subscriber
    was deleted, a sign-up purged unconfirmed, an operator's manual block): keep only the hash,
    as a deletion does. Returns how many addresses (with `dry_run`, would be) forgotten."""
    owned = Subscriber.objects.values("email")
    plain = Suppression.objects.exclude(email__startswith=HASH_PREFIX).exclude(email__in=owned)
    events = DeliveryEvent.objects.exclude(email__in=owned)
    if dry_run:
        return len(
            {*plain.values_list("email", flat=True), *events.values_list("email", flat=True)}
        )
    done: set[str] = set()
    while (
        found := {
            *plain.values_list("email", flat=True)[:batch],
            *events.values_list("email", flat=True)[:batch],
        }
        - done
    ):
        forget_erased(found)
        done |= found  # never loop on a row that could not be changed
    return len(done)


def _forget_admin_history(emails: set[str]) -> None:
    """Admin's LogEntry keeps each object's str(), which is the address for these models."""
    suppressions = Suppression.objects.filter(email__in=emails).values_list("pk", flat=True)
    events = DeliveryEvent.objects.filter(email__in=emails).values_list("pk", flat=True)
    forget_admin_history({Suppression: suppressions, DeliveryEvent: events})


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
