"""The nightly ranking on the production path: demo catalogue, real subscribers, stored models."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emails.models import Digest
from ranking.models import Paper, Recommendation, SubscriberModel
from ranking.services import encoding
from ranking.services.recommend import (
    build_profile,
    build_profiles,
    rank_subscribers,
    refresh_subscriber_model,
)
from subscriptions.models import Feedback
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(demo_catalogue: None) -> None:
    """Every test here ranks the demo catalogue."""


def rows(subscriber, day: date) -> list[Recommendation]:
    return list(Recommendation.objects.filter(subscriber=subscriber, run_date=day))


def test_it_ranks_matching_papers_first_with_an_explanation(today: date) -> None:
    reader = SubscriberFactory(keywords=["dense retrieval"], papers_per_digest=5)
    counts = rank_subscribers([reader.pk], today)
    recs = rows(reader, today)
    assert counts.ranked == 1
    assert 1 <= len(recs) <= 5
    assert "retriev" in recs[0].paper.title.lower() + recs[0].paper.abstract.lower()
    assert all(r.explanation for r in recs)
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))


def test_running_twice_leaves_one_set_of_rows(today: date) -> None:
    reader = SubscriberFactory(keywords=["language models"])
    rank_subscribers([reader.pk], today)
    first = [(r.paper_id, r.rank) for r in rows(reader, today)]
    rank_subscribers([reader.pk], today)
    assert [(r.paper_id, r.rank) for r in rows(reader, today)] == first


def test_a_profile_without_interests_gets_no_papers_and_a_reason(today: date) -> None:
    reader = SubscriberFactory(keywords=[])
    counts = rank_subscribers([reader.pk], today)
    assert rows(reader, today) == []
    assert any("no interests" in reason for reason in counts.empty)


def test_papers_sent_before_never_return(today: date) -> None:
    reader = SubscriberFactory(keywords=["dense retrieval"])
    rank_subscribers([reader.pk], today)
    top = rows(reader, today)[0].paper
    Digest.objects.create(
        subscriber=reader, digest_date=today - timedelta(days=1), items=[{"paper": top.pk}]
    )
    rank_subscribers([reader.pk], today)
    assert top.pk not in [r.paper_id for r in rows(reader, today)]


def test_feedback_refits_the_model_only_when_the_profile_changed() -> None:
    reader = SubscriberFactory(keywords=["diffusion"])
    assert refresh_subscriber_model(reader) is True
    assert refresh_subscriber_model(reader) is False
    liked = Paper.objects.filter(title__icontains="retrieval").first()
    Feedback.objects.create(subscriber=reader, paper=liked, kind=Feedback.Kind.LIKED)
    assert refresh_subscriber_model(reader) is True
    assert SubscriberModel.objects.filter(subscriber=reader).count() == 1


def test_papers_outside_the_window_are_not_candidates(today: date) -> None:
    Paper.objects.update(first_seen=timezone.now() - timedelta(days=3))
    reader = SubscriberFactory(keywords=["retrieval"])
    rank_subscribers([reader.pk], today)
    assert rows(reader, today) == []


def test_a_missing_encoder_file_is_refit_from_the_catalogue(settings, today: date) -> None:
    reader = SubscriberFactory(keywords=["retrieval"])
    rank_subscribers([reader.pk], today)
    encoding.encoder_path().unlink()
    encoding._cache.clear()
    rank_subscribers([reader.pk], today)
    assert encoding.encoder_path().is_file()
    assert rows(reader, today)


def test_an_outgrown_encoder_is_not_refit_inside_the_nightly_ranking(today: date) -> None:
    # Refitting it there would make every model stale at once (encoder_switch.py does it aside).
    reader = SubscriberFactory(keywords=["retrieval"])
    rank_subscribers([reader.pk], today)
    fitted = encoding.encoder_path().stat().st_mtime_ns
    PaperFactory.create_batch(220)
    assert encoding.outgrown()
    encoding._cache.pop("workspace", None)
    counts = rank_subscribers([reader.pk], today)
    assert (counts.refit, counts.ranked) == (0, 1)
    assert encoding.encoder_path().stat().st_mtime_ns == fitted


def test_a_chunk_writes_each_subscribers_own_number_of_rows_and_replaces_them(today: date) -> None:
    few = SubscriberFactory(keywords=["dense retrieval"], papers_per_digest=5)
    many = SubscriberFactory(keywords=["language models"], papers_per_digest=12)
    blank = SubscriberFactory(keywords=[])
    counts = rank_subscribers([few.pk, many.pk, blank.pk], today)
    assert (counts.ranked, len(rows(blank, today))) == (3, 0)
    assert 1 <= len(rows(few, today)) <= 5 < len(rows(many, today)) <= 12
    assert counts.recommendations == len(rows(few, today)) + len(rows(many, today))
    first = [(r.paper_id, r.rank, r.explanation) for r in rows(many, today)]
    assert all(r.created_at and r.run_date == today for r in rows(many, today))
    rank_subscribers([many.pk, few.pk], today)
    assert [(r.paper_id, r.rank, r.explanation) for r in rows(many, today)] == first


def _rich_reader(topics: list, papers: list[Paper], liked: int) -> object:
    reader = SubscriberFactory(keywords=["retrieval"], authors=["A. Author"])
    reader.topics.set(topics)
    reader.seed_papers.set(papers[:2])
    for paper in papers[2 : 2 + liked]:
        Feedback.objects.create(subscriber=reader, paper=paper, kind=Feedback.Kind.LIKED)
    Feedback.objects.create(subscriber=reader, paper=papers[-1], kind=Feedback.Kind.DISLIKED)
    return reader


def test_profiles_read_for_a_chunk_equal_those_read_one_by_one() -> None:
    papers = list(Paper.objects.order_by("pk")[:12])
    later, first = TopicFactory(position=2), TopicFactory(position=1, name="A first topic")
    later.seed_papers.set(papers[5:7])
    TopicFactory(active=False)
    readers = [_rich_reader([later, first], papers, liked) for liked in (0, 3, 6)]
    together = build_profiles(readers)
    assert together == {r.pk: build_profile(r) for r in readers}
    profile = together[readers[2].pk]
    assert [t.name for t in profile.topics] == ["A first topic", later.name]
    assert len(profile.liked_ids) == 6
    assert len(profile.disliked_ids) == 1
    assert profile.topics[1].seed_ids
    assert profile.seed_ids


def test_ranking_a_chunk_reads_profiles_in_a_fixed_number_of_queries(today: date) -> None:
    papers = list(Paper.objects.order_by("pk")[:12])
    topic = TopicFactory()

    def queries_for(n: int) -> int:
        readers = [_rich_reader([topic], papers, 3) for _ in range(n)]
        ids = [r.pk for r in readers]
        rank_subscribers(ids, today)  # fits and stores the models
        with CaptureQueriesContext(connection) as captured:
            counts = rank_subscribers(ids, today)
        assert counts.refit == 0
        return len(captured.captured_queries)

    assert queries_for(2) == queries_for(8)
