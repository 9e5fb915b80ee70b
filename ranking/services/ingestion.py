"""Run one source over one window and record what happened in an IngestionRun.

Every record is validated (catalogue.validate_record) before it is written: what cannot be
stored is skipped, what can be made to fit is, and each is noted. Writes go in batches, one
transaction each. A file is read and validated to its end before the first write, so a file
that breaks half-way writes nothing; a network source is written as it streams, so a harvest
that dies part-way keeps whole batches and a re-run merges over them.

Whatever happens, the run ends succeeded or failed with a one-line reason and the source's lock
is released. A run that stored nothing because every record was skipped, or a file with no
records, is a failure: an operator must never read "succeeded" for a file that did nothing.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from redis.exceptions import LockError, LockNotOwnedError

from ranking.models import IngestionRun
from ranking.services.catalogue import BATCH_SIZE, batched, upsert_batch, validate_record
from ranking.services.ratelimit import get_redis, redis_key
from ranking.sources.base import PaperRecord, Skipped, Source, SourceError, SourceItem, Window

logger = logging.getLogger(__name__)
MAX_ERROR_LINES = 50
# Sources read whole before anything is written (a local file, bounded in size).
WHOLE_BEFORE_WRITE = frozenset({"file"})
Progress = Callable[[IngestionRun], None]
Listener = Callable[[str], None]


class IngestionBusyError(SourceError):
    """Another run of the same source holds the lock."""


class Notes:
    """What a run skipped or changed: each line goes to the listener as it happens; the run
    record keeps the first MAX_ERROR_LINES and a count of the rest."""

    def __init__(self, listener: Listener | None = None) -> None:
        self.listener = listener
        self.lines: list[str] = []
        self.more = 0
        self.first_skip = ""

    def skip(self, text: str) -> None:
        self.first_skip = self.first_skip or text
        self._add(f"skipped {text}")

    def change(self, text: str) -> None:
        self._add(f"changed {text}")

    def _add(self, line: str) -> None:
        if len(self.lines) < MAX_ERROR_LINES:
            self.lines.append(line)
        else:
            self.more += 1
        if self.listener is not None:
            self.listener(line)

    def text(self, error: str = "") -> str:
        lines = [error, *self.lines] if error else list(self.lines)
        if self.more:
            lines.append(f"... and {self.more:,} more")
        return "\n".join(lines)


def ingest_papers(
    source: Source,
    window: Window,
    progress: Progress | None = None,
    on_note: Listener | None = None,
) -> IngestionRun:
    """Fetch, validate and upsert; the returned run says what happened (status, counts, errors).

    Any exception ends the run failed with a one-line reason: a SourceError's message (source
    down, malformed response...), "unexpected <Type>: <message> (at <file:line>)" for anything
    else. Only KeyboardInterrupt and SystemExit are re-raised, after the run is recorded.
    `on_note` hears each skipped or changed record ("skipped line 5 (2401.00001): no title").
    """
    run = IngestionRun.objects.create(source=source.name, window=window.describe()[:500])
    notes = Notes(on_note)
    try:
        with _source_lock(source.name) as keep_alive:
            _close_interrupted(run)
            for batch in batched(_validated(source, window, notes), BATCH_SIZE):
                _write_batch(run, batch, notes)
                keep_alive()
                if progress is not None:
                    progress(run)
    except SourceError as exc:
        _finish(run, notes, error=str(exc))
    except Exception as exc:
        # A parser's bug or the database refusing a batch: one line for the operator; the
        # traceback is for a developer (LOG_LEVEL=DEBUG).
        logger.debug("ingestion %s crashed", source.name, exc_info=True)
        _finish(run, notes, error=describe_crash(exc))
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: record the run, then stop
        with contextlib.suppress(Exception):  # even if the database went with the process
            _finish(run, notes, error=f"interrupted by {type(exc).__name__}")
        raise
    else:
        _finish(run, notes, error=_nothing_stored(run, source, notes))
    return run


def _validated(source: Source, window: Window, notes: Notes) -> Iterable[PaperRecord | None]:
    """The source's items as storable records, None for each one skipped."""
    items = (_validate(item, notes) for item in source.fetch(window))
    return list(items) if source.name in WHOLE_BEFORE_WRITE else items


def _validate(item: SourceItem, notes: Notes) -> PaperRecord | None:
    if isinstance(item, Skipped):
        notes.skip(str(item))
        return None
    checked = validate_record(item)
    if checked.record is None:
        notes.skip(f"{item.canonical_id}: {checked.reason}")
    for note in checked.notes:
        notes.change(f"{item.canonical_id}: {note}")
    return checked.record


def _write_batch(run: IngestionRun, batch: list[PaperRecord | None], notes: Notes) -> None:
    records = [record for record in batch if record is not None]
    counts = upsert_batch(records)
    run.fetched += len(batch)
    run.skipped += len(batch) - len(records)
    run.created += counts.created
    run.updated += counts.updated
    run.unchanged += counts.unchanged
    run.errors = notes.text()
    run.save(update_fields=["fetched", "skipped", "created", "updated", "unchanged", "errors"])


def _nothing_stored(run: IngestionRun, source: Source, notes: Notes) -> str:
    """Why a run that raised nothing still failed, or "" if it did not."""
    if run.fetched and run.skipped == run.fetched:
        return f"all {run.fetched:,} records skipped; first reason: {notes.first_skip}"
    if not run.fetched and source.name in WHOLE_BEFORE_WRITE:
        return "no records found"  # an empty file; an empty day of a feed is normal
    return ""


def _finish(run: IngestionRun, notes: Notes, error: str = "") -> None:
    run.status = IngestionRun.Status.FAILED if error else IngestionRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.errors = notes.text(error)
    run.save()
    log = logger.error if error else logger.info
    log("ingestion %s %s: %s", run.source, run.status, summarise_run(run))


def describe_crash(exc: BaseException) -> str:
    """One line for an exception nobody expected: its type, the first line of its message, and
    the last line of our own code it passed through."""
    message = (str(exc).strip().splitlines() or [""])[0][:300]
    root = Path(settings.BASE_DIR)
    ours = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).is_relative_to(root) and "site-packages" not in frame.filename
    ]
    where = f" (at {Path(ours[-1].filename).relative_to(root)}:{ours[-1].lineno})" if ours else ""
    return f"unexpected {type(exc).__name__}: {message}{where}"


def summarise_run(run: IngestionRun) -> str:
    text = (
        f"{run.source} [{run.window or 'default window'}] {run.status}: fetched {run.fetched}, "
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
        f"skipped {run.skipped}"
    )
    if run.status == IngestionRun.Status.FAILED:
        text += f" -- {run.errors.splitlines()[0]}"
    return text


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
