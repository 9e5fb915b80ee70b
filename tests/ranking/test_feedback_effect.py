""" "More / less like this" must show in the next digest: the effect on the ranking itself, on
the demo catalogue with the real encoder, through the stored model a click refreshes."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone

from ranking.models import Paper, Recommendation
from ranking.services import encoding
from ranking.services.recommend import candidate_papers, rank_subscribers
from subscriptions.models import Feedback, Subscriber
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(demo_catalogue: None) -> None:
    """Every test here ranks the demo catalogue."""


def ranked(reader: Subscriber, day: date) -> list[Recommendation]:
    rank_subscribers([reader.pk], day)
    return list(Recommendation.objects.filter(subscriber=reader, run_date=day).order_by("rank"))


def nearest(paper: Paper, among: list[Paper]) -> Paper:
    """The candidate most like `paper` by the ranking's own encoding."""
    ws = encoding.workspace()
    space = encoding.encode([paper, *among], ws)
    sims = space.vectors[1:] @ space.vectors[0]
    return among[int(np.argmax(sims))]


def position(recs: list[Recommendation], paper: Paper) -> int:
    """1-based rank in the digest, or one past the end when it is not there."""
    for r in recs:
        if r.paper_id == paper.pk:
            return r.rank
    return len(recs) + 1


def test_more_like_this_lifts_similar_papers_in_the_next_digest(today: date) -> None:
    reader = SubscriberFactory(keywords=["language models"], papers_per_digest=10)
    before = ranked(reader, today)
    sent = {r.paper_id for r in before}
    pool = [p for p in candidate_papers(today, 1) if p.pk not in sent]
    # A paper the reader was not sent, and its closest neighbour among the others.
    liked = next(p for p in pool if "video" in p.title.lower())
    twin = nearest(liked, [p for p in pool if p.pk != liked.pk])
    assert position(before, twin) > len(before)

    Feedback.objects.create(subscriber=reader, paper=liked, kind=Feedback.Kind.LIKED)
    after = ranked(reader, today)

    assert position(after, twin) <= 5
    rec = next(r for r in after if r.paper_id == twin.pk)
    assert "a paper you liked" in rec.explanation


def test_less_like_this_pushes_similar_papers_down_in_the_next_digest(today: date) -> None:
    reader = SubscriberFactory(keywords=["language models"], papers_per_digest=20)
    before = ranked(reader, today)
    disliked = before[0].paper
    others = [r.paper for r in before[1:]]
    twin = nearest(disliked, others)
    Feedback.objects.create(subscriber=reader, paper=disliked, kind=Feedback.Kind.DISLIKED)
    after = ranked(reader, today)
    assert disliked.pk not in {r.paper_id for r in after}
    assert position(after, twin) > position(before, twin) + 3


def test_a_thin_day_sends_its_few_good_papers_not_padding(today: date) -> None:
    """Tomorrow: two retrieval papers among twenty on other subjects. A retrieval reader gets
    the two, not twenty; a day with none of theirs sends nothing (the quiet-day note's case)."""
    tomorrow = today + timedelta(days=1)
    at = timezone.now() + timedelta(days=1)
    others = [
        p for p in Paper.objects.all()
        if not any(w in (p.title + p.abstract).lower() for w in ("retriev", "search", "rank"))
    ][:20]  # fmt: skip
    Paper.objects.filter(pk__in=[p.pk for p in others]).update(first_seen=at)
    good = [PaperFactory(title=title, abstract=abstract) for title, abstract in RETRIEVAL]
    # first_seen is set on creation (auto_now_add): moved to tomorrow like the others.
    Paper.objects.filter(pk__in=[p.pk for p in good]).update(first_seen=at)
    reader = SubscriberFactory(
        keywords=["dense retrieval", "contrastive learning for retrieval"], papers_per_digest=20
    )
    recs = ranked(reader, tomorrow)
    assert {r.paper_id for r in recs[:2]} == {p.pk for p in good}
    assert len(recs) <= 4
    Paper.objects.filter(pk__in=[p.pk for p in good]).delete()
    assert len(ranked(reader, tomorrow)) <= 2


RETRIEVAL = [
    (
        "Hard negatives for dense passage retrieval",
        "We train a dual-encoder dense retriever for open-domain question answering with "
        "contrastive learning over mined hard negatives, improving passage recall on Natural "
        "Questions and MS MARCO over BM25 and earlier dense retrieval models.",
    ),
    (
        "Late interaction for efficient neural search",
        "A retrieval model that encodes queries and documents into token embeddings and scores "
        "them by late interaction, giving dense retrieval quality at a fraction of the cost of "
        "cross-encoder re-ranking on MS MARCO passage ranking and BEIR.",
    ),
]
