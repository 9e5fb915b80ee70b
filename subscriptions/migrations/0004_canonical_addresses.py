"""Store every address in its canonical form and merge subscribers that were one mailbox.

`x@Bücher.example` and `x@xn--bcher-kva.example` used to be two subscribers (and a hard bounce
suppressed only one spelling). The survivor of each group is the one a reader would call "my
subscription": active before pending before unsubscribed, then the oldest. It keeps its own
settings and gains the others' interests (lists and topics united); their feedback, digests and
audit rows move to it unless it already holds the same one (then the duplicate goes: the same
paper rated twice, or a second digest for one day, is the bug being fixed). Their rankings and
models are dropped: tonight's run rebuilds them from the merged interests.

The canonical form is copied here, not imported, so this migration means the same thing forever
(subscriptions/addresses.py is the living version).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from typing import Any

import idna
from django.db import IntegrityError, migrations, models, transaction

import subscriptions.addresses

LISTS = ("keywords", "negative_keywords", "categories", "authors", "seed_paper_ids")
STATUS_ORDER = {"active": 0, "pending": 1, "unsubscribed": 2}


def canonical(email: str) -> str:
    local, at, domain = email.strip().rpartition("@")
    if not at or domain.startswith("["):
        return email.strip().lower()
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        domain = domain.lower()
    local = local.lower() if local.isascii() else unicodedata.normalize("NFC", local)
    return f"{local}@{domain}"


def merge_subscribers(apps: Any, schema_editor: Any) -> None:
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    groups: dict[str, list[Any]] = defaultdict(list)
    for subscriber in Subscriber.objects.order_by("created_at", "pk"):
        groups[canonical(subscriber.email)].append(subscriber)
    for address, members in groups.items():
        members.sort(key=lambda s: (STATUS_ORDER.get(s.status, 3), s.created_at, s.pk))
        survivor, others = members[0], members[1:]
        for other in others:
            _merge(Subscriber, survivor, other)
        if survivor.email != address:
            Subscriber.objects.filter(pk=survivor.pk).update(email=address)


def _merge(Subscriber: Any, survivor: Any, other: Any) -> None:
    for name in LISTS:
        mine = getattr(survivor, name)
        seen = {str(item).casefold() for item in mine}
        mine.extend(item for item in getattr(other, name) if str(item).casefold() not in seen)
    survivor.save(update_fields=list(LISTS))
    survivor.topics.add(*other.topics.all())
    for relation in Subscriber._meta.related_objects:
        if relation.many_to_many:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: other})
        for row in rows:
            _move(row, relation.field.name, survivor)
    Subscriber.objects.filter(pk=other.pk).delete()


def _move(row: Any, field: str, survivor: Any) -> None:
    """Point the row at the survivor; where that would make a duplicate, drop it instead."""
    if row._meta.model_name in {"subscribermodel", "recommendation"}:
        row.delete()  # rebuilt by the next run from the merged interests
        return
    try:
        with transaction.atomic():
            setattr(row, field, survivor)
            row.save(update_fields=[field])
    except IntegrityError:
        row.delete()


def canonical_delivery_records(apps: Any, schema_editor: Any) -> None:
    """Suppressions and delivery events keyed by the canonical address (hashes stay as they are:
    the address behind them is gone)."""
    Suppression = apps.get_model("emails", "Suppression")
    for row in Suppression.objects.exclude(email__startswith="sha256:").order_by("created_at"):
        address = canonical(row.email)
        if address == row.email:
            continue
        if Suppression.objects.filter(email=address).exists():
            row.delete()  # the same mailbox was already suppressed under its canonical form
        else:
            Suppression.objects.filter(pk=row.pk).update(email=address)
    DeliveryEvent = apps.get_model("emails", "DeliveryEvent")
    for row in DeliveryEvent.objects.exclude(email__startswith="sha256:").iterator():
        address = canonical(row.email)
        if address != row.email:
            DeliveryEvent.objects.filter(pk=row.pk).update(email=address)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0003_feed_token"),
        # The rows that point at a subscriber, so the merge can move them.
        ("emails", "0003_digest_nudged_interests"),
        ("ranking", "0005_subscriber_model_next"),
    ]

    operations = [
        migrations.RunPython(merge_subscribers, migrations.RunPython.noop),
        migrations.RunPython(canonical_delivery_records, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="email",
            field=models.EmailField(
                max_length=254, unique=True, validators=[subscriptions.addresses.validate_address]
            ),
        ),
    ]
