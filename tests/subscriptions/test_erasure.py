"""Deleting a subscriber removes their personal data from every table, and from Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from emails.models import DeliveryEvent, Digest, LinkEvent, Suppression
from emails.services.suppression import (
    address_hash,
    is_suppressed,
    record_delivery_event,
    suppressed_among,
)
from ranking.models import Recommendation, SubscriberModel
from subscriptions.models import AuditEvent, Feedback, Subscriber
from subscriptions.services import erasure, preferences, signup
from subscriptions.services.links import manage_url
from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
EMAIL = "ada.lovelace@example.org"
# Every model that holds a row about a subscriber once they have used everything.
HOLDERS = {
    Subscriber, Feedback, AuditEvent, Digest, LinkEvent, Recommendation, SubscriberModel,
    Suppression, DeliveryEvent, LogEntry, Subscriber.topics.through,
    Subscriber.seed_papers.through,
}  # fmt: skip


def use_everything(client: Client, capture: Any, email: str) -> Subscriber:
    """Sign up through the page (rate limits in Redis), confirm, and leave data in every table."""
    with capture(execute=True):
        client.post("/", {"email": email, "keywords": "retrieval"})
    reader = Subscriber.objects.get(email=email)
    signup.confirm_subscription(reader)
    paper = PaperFactory()
    reader.topics.add(TopicFactory())
    reader.seed_papers.add(paper)
    preferences.set_paused(reader, True)
    Feedback.objects.create(subscriber=reader, paper=paper, kind="liked")
    RecommendationFactory(subscriber=reader, paper=paper)
    SubscriberModel.objects.create(subscriber=reader, encoder="light", profile_hash="x", data=b"1")
    digest = Digest.objects.create(
        subscriber=reader,
        digest_date=timezone.now().date(),
        items=[{"paper": paper.pk}],
        state="failed",
        last_error=f"550 5.1.1 <{email}>: mailbox unavailable",
    )
    LinkEvent.objects.create(digest=digest, paper=paper, kind="click", user_agent="Mozilla")
    record_delivery_event(email, "hard_bounce", f"ev-{email}", detail=f"{email} bounced")
    record_delivery_event(email.upper(), "soft_bounce", f"soft-{email}", detail="full")
    staff, _ = User.objects.get_or_create(username="boss")
    for row in (reader, Suppression.objects.get(email=email)):
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(row),
            object_id=str(row.pk),
            object_repr=str(row),
            action_flag=CHANGE,
            change_message="[]",
        )
    return reader


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def holders_of(email: str, owned: dict[type[Model], set[int]]) -> set[type[Model]]:
    """Models with a row that contains `email` or points at a row in `owned` (by id)."""
    found: set[type[Model]] = set()
    subscriber_type = ContentType.objects.get_for_model(Subscriber).pk
    for model in apps.get_models(include_auto_created=True):
        fields = model._meta.concrete_fields
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            values = dict(zip(fields, row, strict=True))
            if any(_mentions(field, value, email, owned) for field, value in values.items()):
                found.add(model)
        if model is LogEntry:
            subscriber_ids = {str(pk) for pk in owned[Subscriber]}
            entries = LogEntry.objects.filter(content_type_id=subscriber_type)
            if entries.filter(object_id__in=subscriber_ids).exists():
                found.add(model)
    return found


def _mentions(field: Any, value: Any, email: str, owned: dict[type[Model], set[int]]) -> bool:
    if field.is_relation and field.related_model in owned:
        return value in owned[field.related_model]
    return email in _text(value).lower()


def redis_mentions(email: str) -> list[bytes]:
    """Keys in the test Redis whose name or string value holds the address."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    hits = []
    for key in client.scan_iter():
        value = client.get(key) if client.type(key) == b"string" else b""
        if email.encode() in key + (value or b""):
            hits.append(key)
    return hits


def delete_in_preference_centre(client: Client, reader: Subscriber) -> None:
    url = manage_url(reader).removeprefix("http://testserver") + "delete/"
    assert client.post(url, {"confirm": "on"}).status_code == 200


def delete_in_admin(client: Client, reader: Subscriber) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    url = reverse("admin:subscriptions_subscriber_delete", args=[reader.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302


def delete_with_admin_action(client: Client, reader: Subscriber) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    url = reverse("admin:subscriptions_subscriber_changelist")
    data = {"action": "delete_selected", "_selected_action": [reader.pk], "post": "yes"}
    assert client.post(url, data).status_code == 302


@pytest.mark.parametrize(
    "delete", [delete_in_preference_centre, delete_in_admin, delete_with_admin_action]
)
def test_deletion_leaves_no_row_with_their_address_or_ids(
    client: Client, django_capture_on_commit_callbacks: Any, delete: Callable[..., None]
) -> None:
    reader = use_everything(client, django_capture_on_commit_callbacks, EMAIL)
    bystander = use_everything(client, django_capture_on_commit_callbacks, "bob@example.org")
    owned: dict[type[Model], set[int]] = {
        Subscriber: {reader.pk},
        Digest: set(reader.digests.values_list("pk", flat=True)),
    }
    assert holders_of(EMAIL, owned) == HOLDERS  # the scan sees every kind of row first
    before = {m: m._base_manager.count() for m in HOLDERS}

    delete(client, reader)

    assert holders_of(EMAIL, owned) == set()
    assert redis_mentions(EMAIL) == []
    # The bystander keeps everything; the deleted reader's rows are gone.
    kept = {Subscriber: {bystander.pk}, Digest: set(bystander.digests.values_list("pk", flat=True))}
    assert holders_of("bob@example.org", kept) == HOLDERS
    assert Feedback.objects.count() == before[Feedback] - 1
    [event] = AuditEvent.objects.filter(action="account_deleted")
    assert (event.subscriber, event.details) == (None, {})


def test_a_suppressed_address_stays_suppressed_by_its_hash_only(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    reader = use_everything(client, django_capture_on_commit_callbacks, EMAIL)
    erasure.delete_subscriber(reader)
    [row] = Suppression.objects.all()
    assert (row.email, row.reason, row.detail) == (address_hash(EMAIL), "hard_bounce", "")
    assert is_suppressed(EMAIL)
    assert is_suppressed(EMAIL.upper())
    assert suppressed_among([EMAIL, "other@example.org"]) == {EMAIL}
    assert not DeliveryEvent.objects.exists()


def test_an_address_hashed_twice_keeps_one_suppression() -> None:
    for _ in range(2):
        reader = SubscriberFactory(email=EMAIL)
        record_delivery_event(EMAIL, "complaint", f"c-{reader.pk}")
        erasure.delete_subscriber(reader)
    assert list(Suppression.objects.values_list("email", flat=True)) == [address_hash(EMAIL)]


def test_expired_unconfirmed_signups_are_erased_the_same_way() -> None:
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        pending = SubscriberFactory(email=EMAIL, status="pending", confirmed_at=None)
        record_delivery_event(EMAIL, "hard_bounce", "bounce-of-confirmation")
        AuditEvent.objects.create(actor="subscriber", action="signed_up", subscriber=pending)
    assert signup.purge_unconfirmed() == 1
    assert holders_of(EMAIL, {Subscriber: {pending.pk}, Digest: set()}) == set()
    assert is_suppressed(EMAIL)


def test_erasing_nobody_does_nothing() -> None:
    assert erasure.erase_subscribers([]) == 0
