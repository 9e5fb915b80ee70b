"""Per-subscriber ranking on top of ranking.core: profiles from `subscriptions`, models kept in
SubscriberModel rows, nightly Recommendation rows. The single write path for both."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from emails.models import Digest
from ranking import core
from ranking.models import Paper, Recommendation, SubscriberModel
from ranking.services.encoding import Workspace, encode, workspace
from subscriptions.models import Feedback, Subscriber

logger = logging.getLogger(__name__)


@dataclass
class RankCounts:
    ranked: int = 0
    recommendations: int = 0
    refit: int = 0
    empty: dict[str, int] = field(default_factory=dict)  # reason -> subscribers

    def __str__(self) -> str:
        empty = sum(self.empty.values())
        return (
            f"{self.ranked} subscribers ranked, {self.recommendations} recommendations, "
            f"{self.refit} models refit, {empty} with nothing to send"
        )


def build_profile(subscriber: Subscriber) -> core.Profile:
    """Everything the subscriber told us and taught us, as the core's plain Profile."""
    feedback = Feedback.objects.filter(subscriber=subscriber).values_list("paper_id", "kind")
    liked = tuple(str(pid) for pid, kind in feedback if kind == Feedback.Kind.LIKED)
    disliked = tuple(str(pid) for pid, kind in feedback if kind == Feedback.Kind.DISLIKED)
    topics = tuple(
        core.Topic(
            name=topic.name,
            keywords=tuple(topic.keywords),
            categories=tuple(topic.categories),
            seed_ids=tuple(str(pk) for pk in topic.seed_papers.values_list("pk", flat=True)),
        )
        for topic in subscriber.topics.filter(active=True).prefetch_related("seed_papers")
    )
    return core.Profile(
        id=str(subscriber.pk),
        keywords=tuple(subscriber.keywords),
        negative_keywords=tuple(subscriber.negative_keywords),
        categories=tuple(subscriber.categories),
        authors=tuple(subscriber.authors),
        topics=topics,
        liked_ids=liked,
        disliked_ids=disliked,
        seed_ids=tuple(str(pk) for pk in subscriber.seed_papers.values_list("pk", flat=True)),
    )


def profile_hash(profile: core.Profile) -> str:
    payload = json.dumps(
        [profile.keywords, profile.negative_keywords, profile.categories, profile.authors,
         [(t.name, t.keywords, t.categories, t.seed_ids) for t in profile.topics],
         profile.liked_ids, profile.disliked_ids, profile.seed_ids],
        sort_keys=True, default=list,
    )  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()


def refresh_subscriber_model(subscriber: Subscriber, ws: Workspace | None = None) -> bool:
    """Refit the stored model if the profile or the encoder changed; return whether it did."""
    return _current_model(subscriber, ws or workspace())[1]


def _current_model(subscriber: Subscriber, ws: Workspace) -> tuple[core.SubscriberModel, bool]:
    """The subscriber's up-to-date model, refit and stored only when stale; (model, refit)."""
    profile = build_profile(subscriber)
    digest = profile_hash(profile)
    stored = SubscriberModel.objects.filter(subscriber=subscriber).first()
    if stored and stored.profile_hash == digest and stored.encoder == ws.fingerprint:
        return core.SubscriberModel.from_bytes(bytes(stored.data)), False
    model = core.ProfileFitter(ws.catalogue, ws.encoder, ws.lsa.words).fit(profile)
    SubscriberModel.objects.update_or_create(
        subscriber=subscriber,
        defaults={"encoder": ws.fingerprint, "profile_hash": digest, "data": model.to_bytes()},
    )
    return model, True


def candidate_papers(run_date: date, days: int) -> list[Paper]:
    """Papers the catalogue first saw in the `days` before the end of `run_date` (UTC)."""
    end = datetime.combine(run_date + timedelta(days=1), time.min, tzinfo=UTC)
    window = Paper.objects.filter(first_seen__gte=end - timedelta(days=days), first_seen__lt=end)
    return list(window.order_by("pk"))


def rank_subscribers(subscriber_ids: Sequence[int], run_date: date) -> RankCounts:
    """Rank tonight's candidates for these subscribers and (re)write their Recommendation rows.

    Idempotent: a subscriber's rows for `run_date` are replaced in one transaction, so a re-run
    (a retried or duplicated task) leaves exactly one set.
    """
    ws = workspace()
    counts = RankCounts()
    subscribers = list(Subscriber.objects.filter(pk__in=subscriber_ids).order_by("pk"))
    for window in (1, 7):
        group = [s for s in subscribers if _window_days(s) == window]
        if group:
            _rank_group(group, run_date, candidate_papers(run_date, window), ws, counts)
    return counts


def _window_days(subscriber: Subscriber) -> int:
    return 7 if subscriber.frequency == Subscriber.Frequency.WEEKLY else 1


def _rank_group(
    group: list[Subscriber], run_date: date, papers: list[Paper], ws: Workspace,
    counts: RankCounts,
) -> None:  # fmt: skip
    for subscriber, recs, reason in _rank_results(group, run_date, papers, ws, counts):
        _write(subscriber, run_date, recs)
        counts.ranked += 1
        counts.recommendations += len(recs)
        if not recs:
            counts.empty[reason] = counts.empty.get(reason, 0) + 1


def _rank_results(
    group: list[Subscriber], run_date: date, papers: list[Paper], ws: Workspace,
    counts: RankCounts,
) -> Iterator[tuple[Subscriber, list[core.Recommendation], str]]:  # fmt: skip
    candidates = encode(papers, ws)
    models = []
    for subscriber in group:
        model, refit = _current_model(subscriber, ws)
        counts.refit += refit
        models.append(model)
    exclude = {str(s.pk): _already_sent(s, run_date) for s in group}
    rank_settings = _rank_settings(max(s.papers_per_digest for s in group))
    results = core.rank_many(models, candidates, rank_settings, exclude, ws.catalogue)
    for subscriber, result in zip(group, results, strict=True):
        recs = result.recommendations[: subscriber.papers_per_digest]
        yield subscriber, recs, result.reason or "nothing above the score floor"


def preview_recommendations(
    subscriber: Subscriber, run_date: date
) -> tuple[list[tuple[Paper, core.Recommendation]], str]:
    """What the nightly run would recommend today, computed the same way but not written."""
    papers = candidate_papers(run_date, _window_days(subscriber))
    results = _rank_results([subscriber], run_date, papers, workspace(), RankCounts())
    _, recs, reason = next(results)
    by_pk = {str(p.pk): p for p in papers}
    return [(by_pk[r.paper_id], r) for r in recs], reason


def _rank_settings(top: int) -> core.RankSettings:
    return core.RankSettings(
        top=top,
        score_floor=settings.RANKING_SCORE_FLOOR,
        trending_weight=settings.RANKING_TRENDING_WEIGHT,
    )


def _already_sent(subscriber: Subscriber, run_date: date) -> tuple[str, ...]:
    """Papers of earlier digests: never recommended twice."""
    snapshots = Digest.objects.filter(subscriber=subscriber, digest_date__lt=run_date)
    return tuple(
        str(entry["paper"]) for items in snapshots.values_list("items", flat=True)
        for entry in items
    )  # fmt: skip


def _write(subscriber: Subscriber, run_date: date, recs: list[core.Recommendation]) -> None:
    with transaction.atomic():
        Recommendation.objects.filter(subscriber=subscriber, run_date=run_date).delete()
        Recommendation.objects.bulk_create(
            Recommendation(
                subscriber=subscriber,
                paper_id=int(rec.paper_id),
                run_date=run_date,
                rank=position,
                score=rec.score,
                explanation=rec.explanation[:300],
                interest=rec.interest[:120],
            )
            for position, rec in enumerate(recs, 1)
        )
