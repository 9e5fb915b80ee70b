"""Erasing subscribers: every row that holds their address, their ids or their activity.

By cascade from the Subscriber row: feedback, digests (with their snapshots and link events),
recommendations, the fitted ranking model, topic and seed-paper links. Explicitly: their audit
events, the bounce and complaint events for their address, and Django admin history entries
that name them. What stays: a suppression of their address, hashed
(emails.services.suppression.forget_addresses), so an address that bounced or complained is
never mailed again. Redis holds no address (queued tasks carry ids, the sign-up rate limit an
expiring hash); docs/operations.md lists every place and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q

from emails.models import DeliveryEvent, Suppression
from emails.services.suppression import HASH_PREFIX, forget_addresses, normalise
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.audit import record_event


def erase_subscribers(subscribers: Iterable[Subscriber]) -> int:
    """Delete these subscribers and everything about them, in one transaction; returns how many."""
    found = list(subscribers)
    if not found:
        return 0
    ids = [subscriber.pk for subscriber in found]
    emails = {normalise(subscriber.email) for subscriber in found}
    with transaction.atomic():
        _forget_admin_history(ids, emails)
        AuditEvent.objects.filter(subscriber_id__in=ids).delete()
        forget_addresses(emails)
        Subscriber.objects.filter(pk__in=ids).delete()
    return len(ids)


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
        with transaction.atomic():
            _forget_admin_history([], found)
            forget_addresses(found)
        done |= found  # never loop on a row that could not be changed
    return len(done)


def delete_subscriber(subscriber: Subscriber, *, user: Any = None) -> None:
    """The preference centre's "Delete my subscription" and admin's delete: erase, keep one
    anonymous audit row (who deleted, when; never whom)."""
    with transaction.atomic():
        erase_subscribers([subscriber])
        record_event("account_deleted", None, user=user)


def _forget_admin_history(ids: list[int], emails: set[str]) -> None:
    """Admin's LogEntry keeps each object's str(), which is the address for these models."""
    suppressions = Suppression.objects.filter(email__in=emails).values_list("pk", flat=True)
    events = DeliveryEvent.objects.filter(email__in=emails).values_list("pk", flat=True)
    match = Q(pk__in=[])
    for model, pks in ((Subscriber, ids), (Suppression, suppressions), (DeliveryEvent, events)):
        match |= _entries_of(model, [str(pk) for pk in pks])
    LogEntry.objects.filter(match).delete()


def _entries_of(model: type[Model], object_ids: list[str]) -> Q:
    content_type = ContentType.objects.get_for_model(model)
    return Q(content_type=content_type, object_id__in=object_ids)
