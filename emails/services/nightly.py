"""The nightly run: who is due in an hourly slot, and the rank and build stages of a chunk.

A subscriber is due in the UTC hour whose local time (in their time zone) reaches their
delivery hour, on every day (daily) or on their weekday (weekly). When a daylight-saving jump
skips local hours, the slot after the jump covers them; a repeated local hour is due only the
first time (and the Digest row, unique per subscriber and local date, stops a second email).
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from emails import conf
from emails.digest import DigestItem
from emails.models import Digest, NightlyRun
from emails.services import ledger
from emails.services.digest import record_days
from emails.services.suppression import normalise, suppressed_among
from ranking.models import IngestionRun, Paper, Recommendation
from subscriptions.models import Subscriber

STAGES = ("rank", "build", "send")
logger = logging.getLogger(__name__)


def slot_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_due(time_zone: str, slot: datetime) -> tuple[date, int, range]:
    """(local date, local weekday, local delivery hours due) of `slot` in `time_zone`."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = slot.astimezone(zone)
    before = (slot - timedelta(hours=1)).astimezone(zone)
    first = before.hour + 1 if before.date() == local.date() else 0
    return local.date(), local.weekday(), range(first, local.hour + 1)


def due_subscribers(slot: datetime) -> dict[date, list[int]]:
    """Ids of the subscribers due in `slot`, grouped by their local digest date."""
    receiving = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, paused=False)
    by_date: dict[date, Q] = {}
    for time_zone in receiving.values_list("time_zone", flat=True).distinct():
        try:
            day, weekday, hours = local_due(time_zone, slot)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue  # validated on save; an impossible value must not stop everyone else
        if not hours:
            continue
        weekly = Q(frequency=Subscriber.Frequency.WEEKLY, weekly_day=weekday)
        when = Q(frequency=Subscriber.Frequency.DAILY) | weekly
        match = Q(time_zone=time_zone, delivery_hour__in=list(hours)) & when
        by_date[day] = by_date[day] | match if day in by_date else match
    return {
        day: list(receiving.filter(match).order_by("pk").values_list("pk", flat=True))
        for day, match in by_date.items()
    }


def chunked(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def open_run(slot: datetime) -> NightlyRun | None:
    """The slot's run, or None when it was already opened (the task was enqueued twice)."""
    latest = IngestionRun.objects.order_by("-started_at").first()
    run, created = NightlyRun.objects.get_or_create(slot=slot, defaults={"ingestion_run": latest})
    return run if created else None


def plan_chunks(run: NightlyRun) -> list[tuple[str, list[int]]]:
    """(ISO digest date, subscriber ids) per chunk; records the due count on the run."""
    groups = due_subscribers(run.slot)
    chunks = [
        (day.isoformat(), ids)
        for day, due in sorted(groups.items())
        for ids in chunked(due, conf.chunk_size())
    ]
    NightlyRun.objects.filter(pk=run.pk).update(
        due=sum(len(ids) for ids in groups.values()), chunks=len(chunks)
    )
    return chunks


def stage_started(run_id: int | None, stage: str) -> None:
    if run_id is not None:
        field = f"{stage}_started_at"
        NightlyRun.objects.filter(pk=run_id, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )


def stage_finished(run_id: int | None, stage: str, **counts: int) -> None:
    if run_id is not None:
        increments = {name: F(name) + value for name, value in counts.items()}
        NightlyRun.objects.filter(pk=run_id).update(
            **{f"{stage}_finished_at": timezone.now()}, **increments
        )


def chunk_done(run_id: int | None) -> None:
    """Count a finished chunk; the last one closes the run."""
    if run_id is None:
        return
    NightlyRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)
    NightlyRun.objects.filter(
        pk=run_id, status=NightlyRun.Status.RUNNING, chunks_done__gte=F("chunks")
    ).update(status=NightlyRun.Status.DONE, finished_at=timezone.now())


def encode_new_papers() -> None:
    """Encode the papers ingested since the last run, once, before the chunks fan out: they
    land in RANKING_MODEL_DIR's encoding cache, which every worker's rank chunks then read,
    instead of each worker encoding tonight's papers itself (about a minute per 1,000). A
    failure here is only logged: each rank chunk meets it again and records it in the run."""
    from ranking.core import EncoderUnavailable
    from ranking.services.encoding import workspace

    try:
        workspace()
    except EncoderUnavailable as exc:  # an empty catalogue, a damaged model file: one line
        logger.warning("tonight's papers not encoded before the run: %s", exc)
    except Exception:
        logger.exception("tonight's papers could not be encoded before the run")


def rank_chunk(subscriber_ids: Sequence[int], digest_date: date) -> tuple[int, str]:
    """Rank those without recommendations for the date yet; (how many ranked, error).

    A ranking failure is returned, not raised: the chunk still goes on to the build stage,
    where subscribers without recommendations get an empty day (recorded `skipped`), so one
    bad night of ranking never blocks the digests that were already ranked.
    """
    have = set(
        Recommendation.objects.filter(subscriber_id__in=subscriber_ids, run_date=digest_date)
        .values_list("subscriber_id", flat=True)
        .distinct()
    )
    todo = [pk for pk in subscriber_ids if pk not in have]
    if not todo:
        return 0, ""
    try:
        from ranking.services.recommend import rank_subscribers

        return rank_subscribers(todo, digest_date).ranked, ""
    except Exception as exc:
        logger.exception("ranking %d subscribers for %s failed", len(todo), digest_date)
        return 0, f"ranking failed for {len(todo)} subscribers: {exc!r}"


def note_error(run_id: int | None, error: str) -> None:
    if run_id is not None and error:
        NightlyRun.objects.filter(pk=run_id).update(
            notes=Concat(F("notes"), Value(error[:500] + "\n"))
        )


def build_chunk(
    subscriber_ids: Sequence[int], digest_date: date, run_id: int | None = None
) -> tuple[list[int], dict[str, int]]:
    """Record each subscriber's Digest row for the date; (pending digest ids, counts).

    Idempotent: rows are unique per subscriber and date and an existing row wins. Suppressed
    addresses are recorded as `suppressed` here (the enqueue-time check). A few queries per
    chunk, whatever its size (`record_days`).
    """
    subscribers = list(
        Subscriber.objects.filter(pk__in=list(subscriber_ids)).prefetch_related("topics")
    )
    items = items_for(subscriber_ids, digest_date, {s.pk: s.papers_per_digest for s in subscribers})
    blocked = suppressed_among(s.email for s in subscribers)
    counts = {"built": 0, "skipped": 0, "suppressed": 0}
    with transaction.atomic():  # one commit per chunk; a failed chunk is redone whole
        digests = record_days(subscribers, digest_date, items)
        if run_id is not None:
            unowned = [d.pk for d in digests.values() if d.nightly_run_id is None]
            Digest.objects.filter(pk__in=unowned, nightly_run__isnull=True).update(
                nightly_run=run_id
            )
        emails = {s.pk: normalise(s.email) for s in subscribers}
        pending = [d for d in digests.values() if d.state == Digest.State.PENDING]
        stopped = {d.pk for d in pending if emails[d.subscriber_id] in blocked}
        counts["suppressed"] = ledger.suppress_digests(sorted(stopped), "address suppressed")
    ids = sorted(d.pk for d in pending if d.pk not in stopped)
    counts["built"] = len(ids)
    counts["skipped"] = sum(d.state == Digest.State.SKIPPED for d in digests.values())
    return ids, counts


def items_for(
    subscriber_ids: Sequence[int], digest_date: date, limits: dict[int, int]
) -> dict[int, list[DigestItem]]:
    """Each subscriber's recommendations for the date, best first, as many as they asked for.

    The snapshot needs only each paper's id and canonical id, so the chunk's papers are loaded
    once with just those (not once per recommendation row with their abstracts)."""
    rows = (
        Recommendation.objects.filter(subscriber_id__in=subscriber_ids, run_date=digest_date)
        .order_by("subscriber_id", "rank")
        .values_list("subscriber_id", "paper_id", "score", "explanation", "interest")
    )
    taken: Counter[int] = Counter()
    wanted = []
    for row in rows:
        if taken[row[0]] < limits.get(row[0], 20):
            taken[row[0]] += 1
            wanted.append(row)
    papers = Paper.objects.only("id", "canonical_id").in_bulk({row[1] for row in wanted})
    items: dict[int, list[DigestItem]] = defaultdict(list)
    for subscriber_id, paper_id, score, explanation, interest in wanted:
        if paper_id in papers:  # deleted since it was ranked
            items[subscriber_id].append(DigestItem(papers[paper_id], score, explanation, interest))
    return items


def unfinished_runs(older_than: timedelta) -> list[NightlyRun]:
    """Runs opened more than `older_than` ago and still running, within the time their
    digests are still worth sending (older ones are closed by `close_abandoned_runs`)."""
    cutoff = timezone.now() - older_than
    since = timezone.now() - conf.max_late()
    return list(
        NightlyRun.objects.filter(
            status=NightlyRun.Status.RUNNING, created_at__lt=cutoff, slot__gte=since
        )
    )


def close_abandoned_runs() -> int:
    """Mark `failed` the runs still running after SEND_MAX_LATE_DAYS, with the reason, so no
    run stays "running" forever on the operator's page."""
    since = timezone.now() - conf.max_late()
    note = Value(
        f"closed by the recovery sweep: unfinished {conf.max_late().days} days after its slot\n"
    )
    return NightlyRun.objects.filter(status=NightlyRun.Status.RUNNING, slot__lt=since).update(
        status=NightlyRun.Status.FAILED, finished_at=timezone.now(), notes=Concat(F("notes"), note)
    )
