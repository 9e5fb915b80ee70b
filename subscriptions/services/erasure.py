"""Erasing subscribers: every row that holds their address, their ids or their activity.

By cascade from the Subscriber row: feedback, digests (with their snapshots and link events),
recommendations, the fitted ranking model, topic and seed-paper links. Explicitly, here: their
audit events and the Django admin history entries that name them. By the apps above, told by
the `erasing_subscribers` signal in the same transaction: the bounce and complaint events for
their address and the admin history of those (emails/receivers.py). What stays: a suppression
of their address, hashed (emails.services.suppression.forget_addresses), so an address that
bounced or complained is never mailed again. Redis holds no address (queued tasks carry ids,
the sign-up rate limit an expiring hash); docs/operations.md lists every place and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q

from subscriptions.addresses import canonical_or_lower
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.audit import record_event
from subscriptions.signals import erasing_subscribers


def erase_subscribers(subscribers: Iterable[Subscriber]) -> int:
    """Delete these subscribers and everything about them, in one transaction; returns how many."""
    found = list(subscribers)
    if not found:
        return 0
    ids = [subscriber.pk for subscriber in found]
    emails = {canonical_or_lower(subscriber.email) for subscriber in found}
    with transaction.atomic():
        forget_admin_history({Subscriber: ids})
        AuditEvent.objects.filter(subscriber_id__in=ids).delete()
        erasing_subscribers.send(sender=Subscriber, subscriber_ids=ids, emails=emails)
        Subscriber.objects.filter(pk__in=ids).delete()
    return len(ids)


def delete_subscriber(subscriber: Subscriber, *, user: Any = None) -> None:
    """The preference centre's "Delete my subscription" and admin's delete: erase, keep one
    anonymous audit row (who deleted, when; never whom)."""
    with transaction.atomic():
        erase_subscribers([subscriber])
        record_event("account_deleted", None, user=user)


def forget_admin_history(objects: dict[type[Model], Iterable[Any]]) -> None:
    """Delete the admin's LogEntry rows of these objects (model -> primary keys): each keeps the
    object's str(), which is the address for subscribers, suppressions and bounce events."""
    match = Q(pk__in=[])
    for model, pks in objects.items():
        content_type = ContentType.objects.get_for_model(model)
        match |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    LogEntry.objects.filter(match).delete()
