"""The public trending list: which papers the front page shows for a day, in which order.

A paper's day is when it trended on Hugging Face, else when it was published, else when the
catalogue first saw it (the demo papers have only that). The list for day D ranks the papers
of the week up to D by their trending signal (Hugging Face upvotes, likes and clicks by
Paperboy's subscribers) decayed by age, Hacker-News style. Readers count once each (one like,
one counted click per paper: emails/services/clicks.py, asked through ranking/hooks.py) and
together add at most READERS_CAP to the upvotes, so our own readers, or anyone holding a digest
link, can lift a paper only so far against the public upvote signal. The ranked ids are cached
per day (and topic) for a few minutes, so a front page view reads 25 rows by primary key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from ranking.hooks import hooks
from ranking.models import Paper
from subscriptions.models import Feedback, Topic

WINDOW_DAYS = 7
# Bounds the work of a cold cache: the newest papers of the window, at most this many.
MAX_CANDIDATES = 5000
# Longest list a day keeps (pages beyond it are a 404, like any page out of range).
MAX_LISTED = 1000
LIKE_WEIGHT = 3
CLICK_WEIGHT = 1
# Readers' weighted likes and clicks count in full up to READERS_LINEAR (a handful of readers
# moves a paper as before), log-scaled beyond it, and never add more than READERS_CAP: about
# 30 likers or 90 clickers reach it. Hugging Face's top papers of a day have hundreds of
# upvotes and typical ones tens, so readers can lift a paper past the typical ones but no
# amount of clicking puts it above a paper with READERS_CAP more upvotes of the same age.
READERS_LINEAR = 20
READERS_CAP = 50
GRAVITY = 1.5
CACHE_SECONDS = 300
SIZE_CACHE_SECONDS = 3600
CACHE_VERSION = 2


@dataclass(frozen=True)
class TrendingList:
    """Ranked paper ids of one day (and topic), with each paper's trending count."""

    day: date
    ids: list[int]
    counts: dict[int, int] = field(default_factory=dict)
    topic: str = ""

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Candidate:
    pk: int
    day: date
    upvotes: int
    text: str
    categories: frozenset[str]


def readers_signal(likes: int, clicks: int) -> float:
    """What subscribers' likes and counted clicks add to a paper's upvotes, at most READERS_CAP."""
    raw = LIKE_WEIGHT * likes + CLICK_WEIGHT * clicks
    if raw <= READERS_LINEAR:
        return float(raw)
    return min(float(READERS_CAP), READERS_LINEAR * (1 + math.log(raw / READERS_LINEAR)))


def trending_score(signal: float, age_days: int) -> float:
    """More signal ranks higher; each day of age divides it down (gravity)."""
    return (signal + 1) / (max(age_days, 0) + 2) ** GRAVITY


def trending_list(day: date, topic: Topic | None = None) -> TrendingList:
    """The cached list for `day` (and `topic`): built at most once per CACHE_SECONDS."""
    slug = topic.slug if topic is not None else ""
    key = f"ranking:trending:v{CACHE_VERSION}:{day.isoformat()}:{slug}"
    cached = cache.get(key)
    if cached is not None:
        return TrendingList(day, cached["ids"], dict(cached["counts"]), slug)
    result = build_trending_list(day, topic)
    payload = {"ids": result.ids, "counts": list(result.counts.items())}
    cache.set(key, payload, CACHE_SECONDS)
    return result


def build_trending_list(day: date, topic: Topic | None = None) -> TrendingList:
    candidates = _candidates(day, with_text=topic is not None)
    if topic is not None:
        candidates = [c for c in candidates if matches_topic(c, topic)]
    pks = [c.pk for c in candidates]
    likes = _counts(
        Feedback.objects.filter(kind=Feedback.Kind.LIKED, created_at__lt=_end_of(day)), pks
    )
    clicks = hooks.counted_clicks(pks, _end_of(day))
    counts: dict[int, int] = {}
    scored: list[tuple[float, int]] = []
    for c in candidates:
        count = c.upvotes + likes.get(c.pk, 0) + clicks.get(c.pk, 0)
        signal = c.upvotes + readers_signal(likes.get(c.pk, 0), clicks.get(c.pk, 0))
        counts[c.pk] = count
        scored.append((-trending_score(signal, (day - c.day).days), c.pk))
    scored.sort()  # ties keep catalogue order (primary key): the demo page's own order
    ids = [pk for _, pk in scored[:MAX_LISTED]]
    return TrendingList(day, ids, {pk: counts[pk] for pk in ids if counts[pk]}, topic_slug(topic))


def topic_slug(topic: Topic | None) -> str:
    return topic.slug if topic is not None else ""


def matches_topic(candidate: Candidate, topic: Topic) -> bool:
    if candidate.categories & {c.lower() for c in topic.categories}:
        return True
    return any(keyword.casefold() in candidate.text for keyword in topic.keywords)


def latest_day(today: date | None = None) -> date | None:
    """The newest day up to `today` that has papers (the front page falls back to it)."""
    today = today or timezone.localdate()
    end = _end_of(today)
    found = Paper.objects.aggregate(
        trending=Max("trending_on", filter=Q(trending_on__lte=today)),
        published=Max("published", filter=Q(published__lt=end)),
        seen=Max("first_seen", filter=Q(first_seen__lt=end)),
    )
    days = [found["trending"]] + [
        timezone.localdate(found[k]) for k in ("published", "seen") if found[k] is not None
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else None


def front_page_day(today: date | None = None) -> date:
    """Today, or the latest day with papers when today has none yet (cached like the list)."""
    today = today or timezone.localdate()
    key = f"ranking:trending:v{CACHE_VERSION}:front-day:{today.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return date.fromisoformat(cached)
    day = today if trending_list(today) else (latest_day(today) or today)
    cache.set(key, day.isoformat(), CACHE_SECONDS)
    return day


def catalogue_size() -> int:
    """How many papers the catalogue holds, refreshed hourly: COUNT(*) reads the whole table
    (~60 ms for 100,000 papers on PostgreSQL) and the page only says "N in the catalogue"."""
    key = f"ranking:trending:v{CACHE_VERSION}:catalogue-size"
    size = cache.get(key)
    if size is None:
        size = Paper.objects.count()
        cache.set(key, size, SIZE_CACHE_SECONDS)
    return int(size)


def papers_in_order(ids: list[int]) -> list[Paper]:
    """The papers of a page, in the list's order (papers deleted since are left out)."""
    found = Paper.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end_of(day: date) -> datetime:
    return _start_of(day + timedelta(days=1))


def _candidates(day: date, *, with_text: bool) -> list[Candidate]:
    first = day - timedelta(days=WINDOW_DAYS - 1)
    start, end = _start_of(first), _end_of(day)
    in_window = (
        Q(trending_on__range=(first, day))
        | Q(published__gte=start, published__lt=end)
        | Q(first_seen__gte=start, first_seen__lt=end)
    )
    columns = ["pk", "upvotes", "trending_on", "published", "first_seen", "categories"]
    if with_text:
        columns += ["title", "abstract"]
    rows = Paper.objects.filter(in_window).order_by("-first_seen", "-pk")
    found = [_candidate(row, with_text) for row in rows.values(*columns)[:MAX_CANDIDATES]]
    return sorted((c for c in found if first <= c.day <= day), key=lambda c: c.pk)


def _candidate(row: dict[str, Any], with_text: bool) -> Candidate:
    if row["trending_on"] is not None:
        day = row["trending_on"]
    else:
        day = timezone.localdate(row["published"] or row["first_seen"])
    categories = row["categories"] if isinstance(row["categories"], list) else []
    text = f"{row['title']} {row['abstract']}".casefold() if with_text else ""
    return Candidate(
        pk=row["pk"],
        day=day,
        upvotes=row["upvotes"] or 0,
        text=text,
        categories=frozenset(str(c).lower() for c in categories),
    )


def _counts(events: Any, pks: list[int]) -> dict[int, int]:
    if not pks:
        return {}
    rows = events.filter(paper_id__in=pks).values("paper_id").annotate(n=Count("id"))
    return {row["paper_id"]: row["n"] for row in rows}
