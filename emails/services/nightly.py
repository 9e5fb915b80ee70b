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
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, Least
from django.utils import timezone

from emails import conf
from emails.models import Digest, NightlyRun
from emails.services import ledger
from emails.services.digest import record_days
from emails.services.suppression import normalise, suppressed_among
from emails.viewmodel import DigestItem
from ranking.models import IngestionRun, Paper, Recommendation
from subscriptions.models import Subscriber

STAGES = ("rank", "build", "send")
FINAL = ("sent", "failed", "suppressed", "skipped", "uncertain")
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
    return {
        day: list(due.order_by("pk").values_list("pk", flat=True))
        for day, due in due_querysets(slot).items()
    }


def undelivered(slot: datetime, confirmed_by: datetime | None = None) -> dict[date, list[int]]:
    """Ids of the subscribers due in `slot` (who were subscribed by `confirmed_by`) without a
    digest for their date yet, by date: what a run for the slot still has to plan."""
    subscribed = Q()
    if confirmed_by is not None:
        subscribed = Q(confirmed_at__isnull=True) | Q(confirmed_at__lte=confirmed_by)
    groups = {}
    for day, due in due_querysets(slot).items():
        left = due.filter(subscribed).exclude(digests__digest_date=day)
        ids = list(left.order_by("pk").values_list("pk", flat=True))
        if ids:
            groups[day] = ids
    return groups


def due_querysets(slot: datetime) -> dict[date, QuerySet[Subscriber]]:
    """The subscribers due in `slot`, by their local digest date."""
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
    return {day: receiving.filter(match) for day, match in by_date.items()}


def chunked(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def open_run(slot: datetime) -> NightlyRun | None:
    """The slot's run, or None when it was already opened (the task was enqueued twice)."""
    latest = IngestionRun.objects.order_by("-started_at").first()
    run, created = NightlyRun.objects.get_or_create(slot=slot, defaults={"ingestion_run": latest})
    return run if created else None


def plan_chunks(run: NightlyRun, again: bool = False) -> list[tuple[str, list[int]]]:
    """(ISO digest date, subscriber ids) per chunk of the subscribers the run still has to
    deliver: those due in its slot without a digest for their date yet. The first time,
    everyone due (in a slot opened late: everyone who was subscribed during it); `again` (the
    recovery sweep), those of them whose chunk was lost before their digests were recorded.
    Records the counts on the run, so `chunks_done` (chunks whose digests are recorded) never
    exceeds `chunks`."""
    on_time = run.created_at <= run.slot + timedelta(hours=1)
    groups = undelivered(run.slot, None if on_time and not again else subscribed_by(run))
    chunks = [
        (day.isoformat(), ids)
        for day, due in sorted(groups.items())
        for ids in chunked(due, conf.chunk_size())
    ]
    recorded = Digest.objects.filter(nightly_run=run).count()
    done = Least(F("chunks_done"), F("chunks"))  # both read before the UPDATE writes
    NightlyRun.objects.filter(pk=run.pk).update(
        due=recorded + sum(len(ids) for ids in groups.values()),
        chunks=done + len(chunks),
        chunks_done=done,
        planned_at=timezone.now(),
    )
    return chunks


def subscribed_by(run: NightlyRun) -> datetime:
    """Whom a run is for: those confirmed by the time it was opened, and before its slot
    ended (a slot opened late serves those who were subscribed during it). Someone who
    confirms later is left to their next slot."""
    return min(run.created_at, run.slot + timedelta(hours=1))


def stage_started(run_id: int | None, stage: str) -> None:
    if run_id is not None:
        field = f"{stage}_started_at"
        NightlyRun.objects.filter(pk=run_id, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )


def stage_finished(run_id: int | None, stage: str, **counts: int) -> None:
    """Record a chunk's stage end (and effort counts) on a run still running: work redone
    for a closed run (a late redelivery, an operator's re-send) leaves its record alone."""
    if run_id is not None:
        increments = {name: F(name) + value for name, value in counts.items()}
        NightlyRun.objects.filter(pk=run_id, status=NightlyRun.Status.RUNNING).update(
            **{f"{stage}_finished_at": timezone.now()}, **increments
        )


def chunk_built(run_id: int | None) -> None:
    """Count a chunk whose digests are recorded (their sending is in the ledger); capped, so
    a chunk redone after a crash never counts past `chunks`."""
    if run_id is not None:
        NightlyRun.objects.filter(pk=run_id, chunks_done__lt=F("chunks")).update(
            chunks_done=F("chunks_done") + 1
        )


def runs_of(digest_ids: Sequence[int]) -> list[int]:
    """The runs these digests belong to."""
    rows = Digest.objects.filter(pk__in=list(digest_ids), nightly_run__isnull=False)
    return sorted(set(rows.values_list("nightly_run_id", flat=True)))


def settle_run(run_id: int) -> bool:
    """Count the run's outcomes from its Digest rows, and close it when it is finished: every
    chunk recorded, no digest pending or sending, nobody due left without one. True if it is
    done (now or before). Cheap enough for every sweep: one grouped count on an index."""
    counts = ledger.run_counts(run_id)
    final = {state: counts[state] for state in FINAL}
    NightlyRun.objects.filter(pk=run_id).update(built=sum(counts.values()), **final)
    run = NightlyRun.objects.filter(pk=run_id).first()
    if run is None or run.status != NightlyRun.Status.RUNNING:
        return run is not None and run.status == NightlyRun.Status.DONE
    if counts[Digest.State.PENDING] or counts[Digest.State.SENDING]:
        return False
    if run.chunks_done < run.chunks or undelivered(run.slot, subscribed_by(run)):
        return False
    return bool(
        NightlyRun.objects.filter(pk=run_id, status=NightlyRun.Status.RUNNING).update(
            status=NightlyRun.Status.DONE, finished_at=timezone.now()
        )
    )


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
        # The caller enqueues their send task next: the sweep leaves them to it.
        ledger.mark_queued(sorted(d.pk for d in pending if d.pk not in stopped))
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


def open_runs() -> list[NightlyRun]:
    """Runs still running whose digests are still worth sending (older ones are closed by
    `close_abandoned_runs`)."""
    since = timezone.now() - conf.max_late()
    return list(NightlyRun.objects.filter(status=NightlyRun.Status.RUNNING, slot__gte=since))


def stalled(run: NightlyRun, queue_started: datetime | None) -> bool:
    """An open run none of whose chunks has moved for SEND_QUEUE_TIMEOUT, or that was planned
    before the Redis holding its queued chunks started afresh: its missing chunks are lost.
    (Sending is not progress here: a lost send is found by its digests' leases.)"""
    moved = max(
        filter(None, [run.created_at, run.planned_at, run.rank_finished_at, run.build_finished_at])
    )
    if queue_started is not None and moved < queue_started:
        return True
    return moved < timezone.now() - conf.queue_timeout()


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
