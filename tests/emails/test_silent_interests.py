"""An interest that has found nothing for two weeks is mentioned once, in the next email that
goes out (a digest or the quiet-day note), with where to see what each interest finds."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from emails.models import Digest
from emails.services.digest import build_digest, record_day
from ranking import core
from ranking.models import SubscriberModel
from subscriptions.models import Subscriber
from tests.emails.conftest import parts
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def reader_with(names: list[str], unmatched: list[str]) -> Subscriber:
    """A subscriber whose stored model has these keyword interests and unmatched words."""
    reader = SubscriberFactory(keywords=[*names, *unmatched])
    interests = [
        core.InterestModel(name=n, kind="keywords", weights=np.zeros(4, np.float32)) for n in names
    ]
    model = core.SubscriberModel(str(reader.pk), "test", interests, unmatched=unmatched)
    SubscriberModel.objects.create(
        subscriber=reader, encoder="test", profile_hash="x", data=model.to_bytes()
    )
    return reader


def history(reader: Subscriber, today: date, days: int, interest: str) -> None:
    """A digest a day for `days` days before today, each with one paper for `interest`."""
    paper = PaperFactory()
    entry = {"paper": paper.pk, "id": paper.canonical_id, "score": 3.0, "interest": interest}
    for n in range(1, days + 1):
        Digest.objects.create(
            subscriber=reader, digest_date=today - timedelta(days=n), items=[entry],
            state=Digest.State.SENT,
        )  # fmt: skip


def test_a_silent_interest_is_mentioned_once_in_the_next_email(today: date) -> None:
    reader = reader_with(["video generation"], unmatched=["learning"])
    history(reader, today, 14, "video generation")
    message = build_digest(reader, today, [])  # an empty day: the quiet-day note goes out
    assert message is not None
    text, html = parts(message)
    assert "“learning” has found nothing for you in 14 days" in text
    assert "“learning” has found nothing for you in 14 days" in html
    assert "“video generation” has" not in text  # it found papers in the window
    assert Digest.objects.get(digest_date=today).nudged_interests == ["learning"]
    # A week later, the next quiet note does not say it again.
    later = build_digest(reader, today + timedelta(days=7), [])
    assert later is not None
    assert "has found nothing for you" not in parts(later)[0]


def test_no_mention_before_the_reader_has_listened_for_two_weeks(today: date) -> None:
    reader = reader_with(["video generation"], unmatched=["learning"])
    history(reader, today, 10, "video generation")
    digest = record_day(reader, today, [])
    assert digest is not None
    assert digest.nudged_interests == []


def test_an_interest_that_found_papers_in_the_window_is_not_silent(today: date) -> None:
    reader = reader_with(["video generation", "retrieval"], unmatched=[])
    history(reader, today, 14, "video generation")
    Digest.objects.filter(subscriber=reader, digest_date=today - timedelta(days=13)).update(
        items=[{"paper": PaperFactory().pk, "interest": "retrieval"}]
    )
    digest = record_day(reader, today, [])
    assert digest is not None
    assert digest.nudged_interests == []
