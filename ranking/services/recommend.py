"""Per-subscriber ranking on top of ranking.core: profiles from `subscriptions`, models kept in
SubscriberModel rows, nightly Recommendation rows. The single write path for both. What was
already mailed comes from emails, the app above, through ranking/hooks.py."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from ranking import core
from ranking.hooks import hooks
from ranking.models import Paper, Recommendation, SubscriberModel
from ranking.services.encoding import Workspace, encode, workspace
from subscriptions.models import Feedback, Subscriber, Topic

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
    return build_profiles([subscriber])[subscriber.pk]


def build_profiles(subscribers: Sequence[Subscriber]) -> dict[int, core.Profile]:
    """build_profile for a whole chunk in five queries, not four per subscriber (~100,000 a
    night). Every list keeps a fixed order (feedback as given, topics as listed, seed papers
    newest first), because the stored model's profile hash depends on it."""
    ids = [s.pk for s in subscribers]
    liked: dict[int, list[str]] = {pk: [] for pk in ids}
    disliked: dict[int, list[str]] = {pk: [] for pk in ids}
    feedback = Feedback.objects.filter(subscriber_id__in=ids).order_by("subscriber_id", "pk")
    for sid, pid, kind in feedback.values_list("subscriber_id", "paper_id", "kind"):
        (liked if kind == Feedback.Kind.LIKED else disliked)[sid].append(str(pid))
    chosen = (
        Subscriber.topics.through.objects.filter(subscriber_id__in=ids, topic__active=True)
        .order_by("subscriber_id", "topic__position", "topic__name")  # Topic's own order
        .values_list("subscriber_id", "topic_id")
    )
    pairs = list(chosen)
    topic_ids = sorted({tid for _, tid in pairs})
    seeds = _seed_ids(Topic.seed_papers.through, "topic_id", topic_ids)
    topics = {
        t.pk: core.Topic(
            name=t.name,
            keywords=tuple(t.keywords),
            categories=tuple(t.categories),
            seed_ids=tuple(seeds.get(t.pk, ())),
        )
        for t in Topic.objects.filter(pk__in=topic_ids)
    }
    own_seeds = _seed_ids(Subscriber.seed_papers.through, "subscriber_id", ids)
    by_subscriber: dict[int, list[core.Topic]] = {pk: [] for pk in ids}
    for sid, tid in pairs:
        by_subscriber[sid].append(topics[tid])
    return {
        s.pk: core.Profile(
            id=str(s.pk),
            keywords=tuple(s.keywords),
            negative_keywords=tuple(s.negative_keywords),
            categories=tuple(s.categories),
            authors=tuple(s.authors),
            topics=tuple(by_subscriber[s.pk]),
            liked_ids=tuple(liked[s.pk]),
            disliked_ids=tuple(disliked[s.pk]),
            seed_ids=tuple(own_seeds.get(s.pk, ())),
        )
        for s in subscribers
    }


def _seed_ids(through: type[Model], owner: str, owners: Sequence[int]) -> dict[int, list[str]]:
    """Seed paper ids per owner, newest paper first (Paper's ordering)."""
    found: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(**{f"{owner}__in": owners})  # type: ignore[attr-defined]
        .order_by(owner, "-paper__first_seen", "-paper_id")
        .values_list(owner, "paper_id")
    )
    for key, paper_id in rows:
        found.setdefault(key, []).append(str(paper_id))
    return found


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
    return _current_models([subscriber], ws)[0]


def _current_models(
    subscribers: Sequence[Subscriber], ws: Workspace
) -> list[tuple[core.SubscriberModel, bool]]:
    """Each subscriber's up-to-date model: the stored ones read in one query, only stale ones
    refit (and stored); in the subscribers' order, with whether each was refit."""
    profiles = build_profiles(subscribers)
    stored = {
        sid: (digest, encoder, data)
        for sid, digest, encoder, data in SubscriberModel.objects.filter(
            subscriber_id__in=list(profiles)
        ).values_list("subscriber_id", "profile_hash", "encoder", "data")
    }
    out = []
    for subscriber in subscribers:
        profile = profiles[subscriber.pk]
        digest = profile_hash(profile)
        found = stored.get(subscriber.pk)
        if found and found[0] == digest and found[1] == ws.fingerprint:
            out.append((core.SubscriberModel.from_bytes(bytes(found[2])), False))
            continue
        model = core.ProfileFitter(ws.catalogue, ws.encoder, ws.lsa.words).fit(profile)
        SubscriberModel.objects.update_or_create(
            subscriber=subscriber,
            defaults={"encoder": ws.fingerprint, "profile_hash": digest, "data": model.to_bytes()},
        )
        out.append((model, True))
    return out


def candidate_papers(run_date: date, days: int) -> list[Paper]:
    """Papers the catalogue first saw in the `days` before the end of `run_date` (UTC)."""
    start, end = candidate_window(run_date, days)
    window = Paper.objects.filter(first_seen__gte=start, first_seen__lt=end)
    return list(window.order_by("pk"))


def candidate_window(run_date: date, days: int) -> tuple[datetime, datetime]:
    """[start, end) of the `days` before the end of `run_date` (UTC)."""
    end = datetime.combine(run_date + timedelta(days=1), time.min, tzinfo=UTC)
    return end - timedelta(days=days), end


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
    limits = {str(s.pk): s.papers_per_digest for s in group}
    for ranked in _rank_chunks(group, run_date, papers, ws, counts):
        rows = [row for row in ranked.rows() if row[2] <= limits[row[0]]]
        _write(ranked.profile_ids, run_date, rows)
        sizes = np.minimum(np.diff(ranked.start), [limits[p] for p in ranked.profile_ids])
        counts.ranked += len(ranked.profile_ids)
        counts.recommendations += int(sizes.sum())
        for reason, size in zip(ranked.reasons, sizes.tolist(), strict=True):
            if not size:
                reason = reason or "nothing above the score floor"
                counts.empty[reason] = counts.empty.get(reason, 0) + 1


def _rank_chunks(
    group: list[Subscriber], run_date: date, papers: list[Paper], ws: Workspace,
    counts: RankCounts,
) -> Iterator[core.RankedChunk]:  # fmt: skip
    candidates = encode(papers, ws)
    models = []
    for model, refit in _current_models(group, ws):
        counts.refit += refit
        models.append(model)
    exclude = _already_sent(group, run_date)
    rank_settings = _rank_settings(max(s.papers_per_digest for s in group))
    return core.rank_chunks(models, candidates, rank_settings, exclude, ws.catalogue)


def preview_recommendations(
    subscriber: Subscriber, run_date: date
) -> tuple[list[tuple[Paper, core.Recommendation]], str]:
    """What the nightly run would recommend today, computed the same way but not written."""
    papers = candidate_papers(run_date, _window_days(subscriber))
    ranked = next(_rank_chunks([subscriber], run_date, papers, workspace(), RankCounts()))
    result = next(ranked.results())
    recs = result.recommendations[: subscriber.papers_per_digest]
    reason = result.reason or "nothing above the score floor"
    by_pk = {str(p.pk): p for p in papers}
    return [(by_pk[r.paper_id], r) for r in recs], reason


def _rank_settings(top: int) -> core.RankSettings:
    return core.RankSettings(
        top=top,
        score_floor=settings.RANKING_SCORE_FLOOR,
        trending_weight=settings.RANKING_TRENDING_WEIGHT,
    )


def _already_sent(group: Sequence[Subscriber], run_date: date) -> dict[str, list[str]]:
    """Papers of each subscriber's earlier digests: never recommended twice."""
    sent: dict[str, list[str]] = {str(s.pk): [] for s in group}
    for subscriber_id, papers in hooks.sent_papers([s.pk for s in group], run_date).items():
        sent[str(subscriber_id)].extend(str(paper) for paper in papers)
    return sent


def _write(
    profile_ids: Sequence[str],
    run_date: date,
    rows: Sequence[tuple[str, str, int, float, str, str]],
) -> None:
    """Replace these subscribers' rows for the date, in one transaction: a re-run (a retried or
    duplicated task) leaves exactly one set. Rows go in as plain tuples (one INSERT statement
    run for many), not as one model object each."""
    ops = connection.ops
    day = ops.adapt_datefield_value(run_date)
    now = ops.adapt_datetimefield_value(timezone.now())
    table = Recommendation._meta.db_table
    columns = (
        "subscriber_id", "paper_id", "run_date", "rank", "score", "explanation", "interest",
        "created_at",
    )  # fmt: skip
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (model's own table and columns)
        ops.quote_name(table),
        ", ".join(ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with transaction.atomic():
        Recommendation.objects.filter(
            subscriber_id__in=[int(p) for p in profile_ids], run_date=run_date
        ).delete()
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(
                    sql,
                    [
                        (int(s), int(p), day, rank, score, why[:300], interest[:120], now)
                        for s, p, rank, score, why, interest in rows
                    ],
                )
