"""Celery tasks of the nightly delivery: open a slot's run, then per chunk rank -> build -> send.

Each task takes primitives (ids, ISO dates) and enqueues the next stage of its own chunk as its
last step, so a chunk redelivered after a crash (acks-late) simply does its stage again. Every
task is idempotent: the run is unique per slot, recommendations are skipped when present,
Digest rows are unique per subscriber and date, and sending claims each row with a conditional
UPDATE (emails/services/ledger.py), so a duplicate task sends nothing twice.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis
from celery import shared_task
from celery.signals import task_received
from django.db import DatabaseError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from emails import conf
from emails.models import Digest
from emails.services import ledger, nightly, recovery, retention
from emails.services.send import SendReport, record_send_report, send_digests, sending_paused

logger = logging.getLogger(__name__)
# A database or broker hiccup fails the task before it enqueues its next stage: retry it (the
# stage is idempotent). Anything else is a bug, left to the recovery sweep and the logs.
delivery_task = shared_task(
    autoretry_for=(DatabaseError, redis.RedisError, KombuOperationalError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)


@delivery_task
def run_nightly(slot: str | None = None) -> int | None:
    """Open the run of an hourly slot (default: the current hour) and fan out its chunks.

    Idempotent: a second call for the same slot finds the run and does nothing.
    """
    moment = datetime.fromisoformat(slot) if slot else timezone.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # slots are UTC hours
    with transaction.atomic():
        run = nightly.open_run(nightly.slot_of(moment))
        if run is None:
            return None
        chunks = nightly.plan_chunks(run)
    if chunks:
        nightly.encode_new_papers()
    fan_out(run.pk, chunks)
    return run.pk


def fan_out(run_id: int, chunks: list[tuple[str, list[int]]]) -> int:
    """Enqueue each planned chunk's first stage; a run nobody is due in is closed at once."""
    for day, ids in chunks:
        rank_chunk.delay(run_id, ids, day)
    if not chunks:
        nightly.settle_run(run_id)
    return len(chunks)


@delivery_task
def rank_chunk(run_id: int | None, subscriber_ids: list[int], digest_date: str) -> None:
    """Rank a chunk (skipping subscribers already ranked for the date), then build it."""
    nightly.stage_started(run_id, "rank")
    ranked, error = nightly.rank_chunk(subscriber_ids, date.fromisoformat(digest_date))
    nightly.note_error(run_id, error)
    nightly.stage_finished(run_id, "rank", ranked=ranked)
    build_chunk.delay(run_id, subscriber_ids, digest_date)


@delivery_task
def build_chunk(run_id: int | None, subscriber_ids: list[int], digest_date: str) -> None:
    """Record the chunk's Digest rows (unique per subscriber and date), then send them."""
    nightly.stage_started(run_id, "build")
    pending, _ = nightly.build_chunk(subscriber_ids, date.fromisoformat(digest_date), run_id)
    nightly.stage_finished(run_id, "build")
    nightly.chunk_built(run_id)
    send_chunk.delay(run_id, pending)


@delivery_task
def send_chunk(run_id: int | None, digest_ids: list[int], retries: int = 0) -> None:
    """Send a chunk over one connection; enqueue again what is left pending (`retry_later`),
    then count the runs' outcomes from the ledger and close a run that is finished.

    Idempotent: only rows claimed pending -> sending are sent (see emails/services/ledger.py).
    """
    runs = [run_id] if run_id is not None else nightly.runs_of(digest_ids)
    for run in runs:
        nightly.stage_started(run, "send")
    report = send_digests(digest_ids)
    requeued = 0 if report.paused else retry_later(run_id, report, retries)
    for run in runs:
        record_send_report(run, report, requeued)
        nightly.stage_finished(run, "send")
    if report.paused:
        logger.info("sending paused: %d digests left pending", len(digest_ids))
    for run in runs:
        if not ledger.run_has_unsent(run):  # else the sweep counts it within a minute
            nightly.settle_run(run)


@task_received.connect
def hold_received_sends(request: Any = None, **_: object) -> None:
    """In the worker's main process, as it takes a send task's message: the rows are this
    worker's from now (ledger.hold_received), not the queue's. A worker killed between taking
    a message and running it then delays its digests by a lease, not SEND_QUEUE_TIMEOUT."""
    if request is None or request.name != send_chunk.name:
        return
    try:
        ids = [int(pk) for pk in request.args[1]]
        start = max(timezone.now(), request.eta or timezone.now())
        ledger.hold_received(ids, start)
    except (DatabaseError, IndexError, TypeError, ValueError) as exc:
        # Never stop the worker's consumer: the queue timeout still covers these rows.
        logger.warning("could not hold a received send task's digests: %s", exc)


def retry_later(run_id: int | None, report: SendReport, retries: int) -> int:
    """Enqueue again the rows a send left pending; how many. A message refused on its own
    goes again soon, with the others of its try count (conf.retry_soon: not the whole chunk's
    long wait); messages to a paused domain when the pause ends; after connection trouble,
    everything left after the chunk's backoff (SEND_RETRY_BACKOFF doubling with `retries`).
    A row refused more than SEND_MAX_RETRIES times, or left over by as many backoffs, is given
    up (`failed`)."""
    limit = conf.max_retries()
    spent = [pk for pk, attempts in report.refused.items() if attempts > limit]
    soon: dict[int, list[int]] = defaultdict(list)
    if report.stopped:
        later = [pk for pk in report.retry if pk not in spent]
    else:
        for pk, attempts in report.refused.items():
            if attempts <= limit:
                soon[attempts].append(pk)
        later = list(report.deferred)
    if later and retries >= limit:
        spent, later = spent + later, []
    if spent:
        why = "; ".join(report.errors[-3:]) or "the recipient's domain kept refusing"
        ledger.give_up(spent, f"gave up after {limit} retries: {why}")
    for attempts, ids in soon.items():
        enqueue_send(run_id, ids, conf.retry_soon(attempts), retries)
    backoff = conf.retry_backoff(retries) if report.stopped else 0.0
    waits: dict[float, list[int]] = defaultdict(list)
    for pk in later:
        waits[max(backoff, math.ceil(report.deferred.get(pk, 0.0)))].append(pk)
    for wait, ids in waits.items():
        enqueue_send(run_id, ids, wait, retries + 1)
    return len(later) + sum(len(ids) for ids in soon.values())


def enqueue_send(
    run_id: int | None, digest_ids: list[int], countdown: float = 0.0, retries: int = 0
) -> None:
    """Enqueue a send task and record it on the rows (the sweep leaves them to it)."""
    if countdown > 0:
        send_chunk.apply_async((run_id, digest_ids, retries), countdown=countdown)
    else:
        send_chunk.delay(run_id, digest_ids, retries)
    ledger.mark_queued(digest_ids, countdown)


@delivery_task
def recover_deliveries(min_age: float | None = None) -> dict[str, int]:
    """The sweep (beat, every DELIVERY_SWEEP_SECONDS): finish what crashes and lost queues
    left behind. Cheap when there is nothing to do: a few indexed queries and a Redis INFO.

    - Rows in 'sending' whose lease ran out (a dead worker) are resolved by ledger rule 4.
    - Pending rows never tried and dated more than SEND_MAX_LATE_DAYS ago are given up
      (`failed`, "expired"), never left pending unseen.
    - Pending rows nobody holds or has queued (ledger.orphaned_pending; with `min_age`, every
      pending row older than that many seconds, e.g. 0 on resuming) are enqueued again.
    - Hourly slots of the last 24 hours with subscribers due and no run (its `run_nightly`
      was lost, or beat was down) are opened, late rather than never.
    - Open runs are counted from the ledger and closed when finished; one whose chunks
      stopped moving (or whose queue Redis lost) is planned again for those still missing.

    Every step is idempotent: enqueuing work that is only slow costs a few queries, never
    an email.
    """
    queue_started = recovery.queue_started_at()
    requeued, uncertain = ledger.recover_stale_claims()
    expired = ledger.expire_unsent(timezone.now().date(), conf.max_late())
    if expired:
        logger.warning("%d digests expired unsent (older than SEND_MAX_LATE_DAYS)", expired)
    if min_age is None:
        pending = ledger.orphaned_pending(queue_started)
    else:
        pending = ledger.pending_digest_ids(timezone.now() - timedelta(seconds=min_age))
    if not sending_paused():
        for ids in nightly.chunked(pending, conf.chunk_size()):
            enqueue_send(None, ids)
    missed = recovery.missing_slots(queue_started)
    for slot in missed:
        logger.warning("opening the run of %s late: it was never opened", slot.isoformat())
        run_nightly.delay(slot.isoformat())
    nightly.close_abandoned_runs()
    return {
        "stale": len(requeued),
        "uncertain": uncertain,
        "pending": len(pending),
        "expired": expired,
        "opened": len(missed),
        "rechunked": _finish_runs(queue_started),
    }


def _finish_runs(queue_started: datetime | None) -> int:
    """Settle every open run; plan again those that stalled (at most once per
    SEND_QUEUE_TIMEOUT each: planning moves them); how many chunks that enqueued."""
    rechunked = 0
    for run in nightly.open_runs():
        if nightly.settle_run(run.pk) or not nightly.stalled(run, queue_started):
            continue
        chunks = nightly.plan_chunks(run, again=True)  # none when only sending is left
        if chunks:
            people = sum(len(ids) for _, ids in chunks)
            nightly.note_error(run.pk, f"planned again by the recovery sweep: {people} due")
            logger.warning("run %s planned again: %d chunks", run.slot.isoformat(), len(chunks))
        rechunked += fan_out(run.pk, chunks)
    return rechunked


@shared_task
def resend_digests(digest_ids: list[int]) -> None:
    """Send digests an operator put back to pending (admin action)."""
    pending = list(
        Digest.objects.filter(pk__in=digest_ids, state=Digest.State.PENDING).values_list(
            "pk", flat=True
        )
    )
    for ids in nightly.chunked(pending, conf.chunk_size()):
        enqueue_send(None, ids)


@shared_task
def purge_expired_data() -> dict[str, int]:
    """Delete what the RETENTION_* settings say has expired (beat, nightly).

    Idempotent: each rule deletes rows older than a cutoff, so a second run finds none left.
    """
    return retention.purge_expired()
