"""Migration 0004 merges subscribers that were one mailbox without losing what they chose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("subscriptions", "0003_feed_token")]
AFTER = [("subscriptions", "0004_canonical_addresses")]


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    # Leave the database as every other test expects it: all migrations applied.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def models_at(executor: MigrationExecutor, target: list[tuple[str, str]]) -> Any:
    """The models as the database holds them now (`target` and whatever else is applied)."""
    executor = MigrationExecutor(connection)
    applied = [
        key for key in executor.loader.applied_migrations if key in executor.loader.graph.nodes
    ]
    assert all(node in applied for node in target)
    return executor.loader.project_state(applied).apps


@pytest.mark.django_db(transaction=True)
def test_two_spellings_become_one_subscriber_with_both_interests(
    executor: MigrationExecutor,
) -> None:
    apps = models_at(executor, BEFORE)
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    Topic = apps.get_model("subscriptions", "Topic")
    Paper = apps.get_model("ranking", "Paper")
    Feedback = apps.get_model("subscriptions", "Feedback")
    Digest = apps.get_model("emails", "Digest")
    Suppression = apps.get_model("emails", "Suppression")
    now = timezone.now()
    graphs, nlp = (
        Topic.objects.create(slug="g", name="Graphs"),
        Topic.objects.create(slug="n", name="NLP"),
    )
    pending = Subscriber.objects.create(
        email="x@bücher.example",
        status="pending",
        keywords=["graph neural networks", "message passing"],
    )
    pending.topics.add(graphs)
    active = Subscriber.objects.create(
        email="x@xn--bcher-kva.example",
        status="active",
        confirmed_at=now,
        keywords=["dense retrieval", "Graph Neural Networks"],
        delivery_hour=9,
    )
    active.topics.add(nlp)
    bystander = Subscriber.objects.create(email="ada@example.org", status="active")
    liked = Paper.objects.create(canonical_id="2401.00001", title="A", first_seen=now)
    Feedback.objects.create(subscriber=pending, paper=liked, kind="more")
    Digest.objects.create(subscriber=pending, digest_date=now.date())
    Digest.objects.create(subscriber=active, digest_date=now.date())  # the same day: a duplicate
    Suppression.objects.create(email="X@Bücher.example", reason="hard_bounce")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = models_at(executor, AFTER)
    Subscriber = apps.get_model("subscriptions", "Subscriber")

    merged = Subscriber.objects.get(email="x@xn--bcher-kva.example")
    assert merged.pk == active.pk  # the active one is "my subscription"
    assert merged.status == "active"
    assert merged.delivery_hour == 9
    assert merged.keywords == ["dense retrieval", "Graph Neural Networks", "message passing"]
    assert {t.slug for t in merged.topics.all()} == {"g", "n"}
    assert [f.paper_id for f in apps.get_model("subscriptions", "Feedback").objects.all()] == [
        liked.pk
    ]
    assert apps.get_model("subscriptions", "Feedback").objects.get().subscriber_id == merged.pk
    assert apps.get_model("emails", "Digest").objects.filter(subscriber=merged).count() == 1
    assert Subscriber.objects.filter(pk=bystander.pk).exists()
    assert Subscriber.objects.count() == 2
    suppression = apps.get_model("emails", "Suppression").objects.get()
    assert suppression.email == "x@xn--bcher-kva.example"
