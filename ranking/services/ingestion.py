"""Run one source over one window and record what happened in an IngestionRun.

Batches are written as they arrive (one transaction each), so a run that dies part-way keeps
the whole papers it wrote and a re-run merges over them: nothing is duplicated, nothing half.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone
from redis.exceptions import LockError, LockNotOwnedError

from ranking.models import IngestionRun
from ranking.services.catalogue import BATCH_SIZE, batched, upsert_batch, validate_record
from ranking.services.ratelimit import get_redis, redis_key
from ranking.sources.base import PaperRecord, Skipped, Source, SourceError, SourceItem, Window

logger = logging.getLogger(__name__)
MAX_ERROR_LINES = 50
Progress = Callable[[IngestionRun], None]


class IngestionBusyError(SourceError):
    """Another run of the same source holds the lock."""


def ingest_papers(source: Source, window: Window, progress: Progress | None = None) -> IngestionRun:
    """Fetch, validate and upsert; the returned run says what happened (status, counts, errors).

    A SourceError (source down, malformed response, expired token...) marks the run failed with
    its message; any other exception is recorded the same way and re-raised.
    """
    run = IngestionRun.objects.create(source=source.name, window=window.describe()[:500])
    notes: list[str] = []
    try:
        with _source_lock(source.name) as keep_alive:
            _close_interrupted(run)
            for batch in batched(source.fetch(window), BATCH_SIZE):
                _ingest_batch(run, batch, notes)
                keep_alive()
                if progress is not None:
                    progress(run)
    except SourceError as exc:
        _finish(run, notes, error=str(exc))
    except BaseException as exc:
        _finish(run, notes, error=f"unexpected {type(exc).__name__}: {exc}")
        raise
    else:
        _finish(run, notes)
    return run


def _ingest_batch(run: IngestionRun, batch: list[SourceItem], notes: list[str]) -> None:
    records: list[PaperRecord] = []
    for item in batch:
        if isinstance(item, Skipped):
            notes.append(f"skipped {item}")
        elif reason := validate_record(item):
            notes.append(f"skipped {item.canonical_id}: {reason}")
        else:
            records.append(item)
    counts = upsert_batch(records)
    run.fetched += len(batch)
    run.skipped += len(batch) - len(records)
    run.created += counts.created
    run.updated += counts.updated
    run.unchanged += counts.unchanged
    run.errors = _error_text(notes)
    run.save(update_fields=["fetched", "skipped", "created", "updated", "unchanged", "errors"])


def _finish(run: IngestionRun, notes: list[str], error: str = "") -> None:
    run.status = IngestionRun.Status.FAILED if error else IngestionRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.errors = _error_text([error, *notes] if error else notes)
    run.save()
    log = logger.error if error else logger.info
    log("ingestion %s %s: %s", run.source, run.status, summarise_run(run))


def summarise_run(run: IngestionRun) -> str:
    text = (
        f"{run.source} [{run.window or 'default window'}] {run.status}: fetched {run.fetched}, "
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
        f"skipped {run.skipped}"
    )
    if run.status == IngestionRun.Status.FAILED:
        text += f" -- {run.errors.splitlines()[0]}"
    return text


def _error_text(lines: list[str]) -> str:
    if len(lines) <= MAX_ERROR_LINES:
        return "\n".join(lines)
    return "\n".join([*lines[:MAX_ERROR_LINES], f"... and {len(lines) - MAX_ERROR_LINES} more"])


def _close_interrupted(current: IngestionRun) -> None:
    """Runs of this source still marked running died without finishing (we hold the lock)."""
    IngestionRun.objects.filter(source=current.source, status=IngestionRun.Status.RUNNING).exclude(
        pk=current.pk
    ).update(
        status=IngestionRun.Status.FAILED,
        finished_at=timezone.now(),
        errors="interrupted: the process stopped before the run finished; a later run resumed",
    )


@contextmanager
def _source_lock(name: str) -> Iterator[Callable[[], None]]:
    """One run per source at a time, across workers. The lock expires INGEST_LOCK_TTL seconds
    after its last renewal, so a killed run blocks the next one only briefly."""
    lock = get_redis(settings.REDIS_URL).lock(
        redis_key("ingest", name),
        timeout=settings.INGEST_LOCK_TTL,
        blocking_timeout=settings.INGEST_LOCK_WAIT,
    )
    if not lock.acquire():
        raise IngestionBusyError(f"another {name} ingestion is running; this run did nothing")

    def keep_alive() -> None:
        try:
            lock.reacquire()
        except LockNotOwnedError:
            # Expired during a slow batch (or Redis was flushed): take it again if it is free.
            if not lock.acquire(blocking=False):
                raise IngestionBusyError(
                    f"lost the {name} ingestion lock to another run; stopped here"
                ) from None

    try:
        yield keep_alive
    finally:
        try:
            lock.release()
        except LockError:
            logger.warning("ingestion lock for %s expired before release", name)
