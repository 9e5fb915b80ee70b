"""Celery tasks of the nightly delivery: open a slot's run, then per chunk rank -> build -> send.

Each task takes primitives (ids, ISO dates) and enqueues the next stage of its own chunk as its
last step, so a chunk redelivered after a crash (acks-late) simply does its stage again. Every
task is idempotent: the run is unique per slot, recommendations are skipped when present,
Digest rows are unique per subscriber and date, and sending claims each row with a conditional
UPDATE (emails/services/ledger.py), so a duplicate task sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import redis
from celery import shared_task
from django.db import DatabaseError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from emails import conf
from emails.models import Digest
from emails.services import ledger, nightly, retention
from emails.services.send import record_send_report, send_digests, sending_paused

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
        nightly.chunk_done(run_id)
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
    pending, counts = nightly.build_chunk(subscriber_ids, date.fromisoformat(digest_date), run_id)
    nightly.stage_finished(run_id, "build", **counts)
    send_chunk.delay(run_id, pending)


@delivery_task
def send_chunk(run_id: int | None, digest_ids: list[int], retries: int = 0) -> None:
    """Send a chunk over one connection; re-enqueue what failed transiently, with backoff.

    The retry is a new message for the rows still pending, with a countdown doubling from
    SEND_RETRY_BACKOFF (what `Task.retry` does, but with only the rows left and the count in
    the arguments, so it behaves the same run eagerly). Idempotent: only rows claimed
    pending -> sending are sent (see emails/services/ledger.py).
    """
    nightly.stage_started(run_id, "send")
    report = send_digests(digest_ids)
    record_send_report(run_id, report)
    nightly.stage_finished(run_id, "send")
    if report.paused:
        logger.info("sending paused: %d digests left pending", len(digest_ids))
    elif report.retry and retries < conf.max_retries():
        nightly.stage_finished(run_id, "send", retried=len(report.retry))
        countdown = conf.retry_backoff(retries)
        send_chunk.apply_async((run_id, report.retry, retries + 1), countdown=countdown)
        return
    elif report.retry:
        reason = f"gave up after {conf.max_retries()} retries: {'; '.join(report.errors[-3:])}"
        failed = ledger.give_up(report.retry, reason)
        nightly.stage_finished(run_id, "send", failed=failed)
    nightly.chunk_done(run_id)


@delivery_task
def recover_deliveries(min_age: float | None = None) -> dict[str, int]:
    """The sweep (beat, every 10 minutes): finish what crashes and lost queues left behind.

    Rows stuck in 'sending' are resolved by the ledger rule; pending rows never tried and
    dated more than SEND_MAX_LATE_DAYS ago are given up (`failed`, "expired"), never left
    pending unseen; every other pending row older than `min_age` seconds (default
    SEND_CLAIM_TIMEOUT, so work merely queued behind a busy night is not enqueued again and
    again) is re-enqueued, whatever its date; runs still open after 30 minutes are fanned out
    again, and those open past SEND_MAX_LATE_DAYS closed as failed. Every step is idempotent:
    re-enqueuing work that is only slow costs a few queries, never an email.
    """
    requeued, uncertain = ledger.recover_stale_claims()
    expired = ledger.expire_unsent(timezone.now().date(), conf.max_late())
    if expired:
        logger.warning("%d digests expired unsent (older than SEND_MAX_LATE_DAYS)", expired)
    age = conf.claim_timeout() if min_age is None else timedelta(seconds=min_age)
    pending = ledger.pending_digest_ids(created_before=timezone.now() - age)
    if not sending_paused():
        for ids in nightly.chunked(sorted({*pending, *requeued}), conf.chunk_size()):
            send_chunk.delay(None, ids)
    reopened = 0
    nightly.close_abandoned_runs()
    for run in nightly.unfinished_runs(older_than=timedelta(minutes=30)):
        reopened += fan_out(run.pk, nightly.plan_chunks(run))
    return {
        "stale": len(requeued),
        "uncertain": uncertain,
        "pending": len(pending),
        "expired": expired,
        "rechunked": reopened,
    }


@shared_task
def resend_digests(digest_ids: list[int]) -> None:
    """Send digests an operator put back to pending (admin action)."""
    pending = list(
        Digest.objects.filter(pk__in=digest_ids, state=Digest.State.PENDING).values_list(
            "pk", flat=True
        )
    )
    for ids in nightly.chunked(pending, conf.chunk_size()):
        send_chunk.delay(None, ids)


@shared_task
def purge_expired_data() -> dict[str, int]:
    """Delete what the RETENTION_* settings say has expired (beat, nightly).

    Idempotent: each rule deletes rows older than a cutoff, so a second run finds none left.
    """
    return retention.purge_expired()
