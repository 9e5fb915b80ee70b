"""Helpers for the delivery tests: due subscribers with recommendations, and what was sent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from emails.models import Digest
from subscriptions.models import Subscriber
from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory
from tests.smtp import SMTPServer

DAY = date(2026, 11, 26)  # a Thursday
SLOT = datetime(2026, 11, 26, 7, tzinfo=UTC)
# Tests of one delivery day start a few minutes into its 07:00 UTC slot on every run, moved
# clock or not (tests/clock.py): the papers are new that day and the sweep sees that day.
ON_DAY = pytest.mark.clock(SLOT + timedelta(minutes=5))


def due_subscribers(count: int, day: date, *, hour: int = 7, papers: int = 3) -> list[Subscriber]:
    """`count` daily subscribers due at `hour` UTC, each with `papers` recommendations."""
    pool = [PaperFactory() for _ in range(papers)]
    readers = []
    for _ in range(count):
        reader = SubscriberFactory(delivery_hour=hour, time_zone="UTC")
        for rank, paper in enumerate(pool, start=1):
            RecommendationFactory(subscriber=reader, paper=paper, run_date=day, rank=rank)
        readers.append(reader)
    return readers


def record_pending(readers: list[Subscriber], day: date) -> list[int]:
    from emails.services.nightly import build_chunk

    pending, _ = build_chunk([r.pk for r in readers], day)
    return pending


def received_by(server: SMTPServer) -> Counter[str]:
    """How many messages each address received."""
    return Counter(rcpt for _, rcpts in server.envelopes for rcpt in rcpts)


def states(day: date) -> Counter[str]:
    return Counter(Digest.objects.filter(digest_date=day).values_list("state", flat=True))


def assert_exactly_once(server: SMTPServer, readers: list[Subscriber], day: date) -> None:
    """Every reader got exactly one message, with their digest's Message-ID, all recorded."""
    counts = received_by(server)
    assert {r.email: counts[r.email] for r in readers} == {r.email: 1 for r in readers}
    assert sum(counts.values()) == len(readers)
    ids = {m["Message-ID"] for m in server.messages}
    digests = Digest.objects.filter(digest_date=day)
    assert ids == set(digests.values_list("message_id", flat=True))
    assert states(day) == {"sent": len(readers)}
