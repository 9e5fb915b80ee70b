"""ingest_papers with hostile records and broken sources: nothing invalid is written, a file is
written only once it was read to its end, every way out ends the run succeeded or failed with
one line, and the source's lock is released."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.conf import settings

from ranking.models import IngestionRun, Paper
from ranking.services import catalogue, ingestion
from ranking.services.catalogue import Validated
from ranking.services.ingestion import ingest_papers
from ranking.services.ratelimit import get_redis, redis_key
from ranking.sources.base import PaperRecord, Skipped, SourceError, SourceItem, Window

pytestmark = pytest.mark.django_db


class Scripted:
    """A source that yields the given items and raises any exception among them."""

    def __init__(self, items: Iterable[SourceItem | BaseException], name: str = "file") -> None:
        self.items, self.name = items, name

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        for item in self.items:
            if isinstance(item, BaseException):
                raise item
            yield item


def paper(number: int, **changes: object) -> PaperRecord:
    record = PaperRecord(canonical_id=f"2501.{number:05d}", title=f"Paper {number}", abstract="A.")
    return replace(record, **changes)  # type: ignore[arg-type]


def papers(count: int) -> list[SourceItem | BaseException]:
    return [paper(n) for n in range(count)]


def run_of(*items: SourceItem | BaseException, name: str = "file") -> IngestionRun:
    return ingest_papers(Scripted(items, name), Window(path="hostile.jsonl"))


def lock_is_free(name: str = "file") -> bool:
    return not get_redis(settings.REDIS_URL).exists(redis_key("ingest", name))


def test_hostile_records_are_skipped_or_bounded_before_the_write() -> None:
    run = run_of(
        paper(1, abstract="x" * 52_428_800),
        paper(2, title="t" * 100_000),
        paper(3, authors=tuple(f"Author {n}" for n in range(5_000)), upvotes=2**40),
        paper(4, published=datetime(1066, 10, 14, tzinfo=UTC), version=99_999),
    )

    assert (run.status, run.fetched, run.created, run.skipped) == ("succeeded", 4, 2, 2)
    *lines, dated = run.errors.splitlines()
    assert lines == [
        "skipped 2501.00001: abstract is 52,428,800 characters, over the 20,000 limit",
        "skipped 2501.00002: title is 100,000 characters, over the 1,000 limit",
        "changed 2501.00003: authors truncated from 5,000 to the first 1,000",
        "changed 2501.00003: upvotes dropped: 1,099,511,627,776 is outside 0..2,147,483,647",
        "changed 2501.00004: version 99,999 is outside 1..1,000: stored as 1",
    ]
    assert dated.startswith("changed 2501.00004: published dropped: 1066-10-14 is outside 1900")
    crowded, ancient = Paper.objects.order_by("canonical_id")
    assert (len(crowded.authors), crowded.upvotes) == (1_000, None)
    assert (ancient.version, ancient.published) == (1, None)


def test_unstorable_characters_never_reach_the_database() -> None:
    # PostgreSQL refuses NUL in text and JSON; a lone surrogate is not UTF-8 anywhere.
    run = run_of(paper(1, title="Tab\x00les", authors=("Ada\x00",), abstract="Bad \ud800 byte."))

    assert (run.status, run.created) == ("succeeded", 1)
    stored = Paper.objects.get()
    assert (stored.title, stored.authors, stored.abstract) == ("Tables", ["Ada"], "Bad  byte.")


def test_a_file_that_breaks_half_way_writes_nothing() -> None:
    run = run_of(*papers(700), ValueError("parser lost its place"))

    assert not Paper.objects.exists()
    assert run.status == "failed"
    assert run.errors.startswith("unexpected ValueError: parser lost its place (at tests/ranking/")
    assert lock_is_free()


def test_a_stream_that_breaks_half_way_keeps_its_whole_batches() -> None:
    run = run_of(*papers(700), RuntimeError("connection reset"), name="oai")

    assert Paper.objects.count() == 500
    assert (run.status, run.fetched, run.created) == ("failed", 500, 500)
    assert run.errors.startswith("unexpected RuntimeError: connection reset")
    assert lock_is_free("oai")


def test_a_source_error_mid_stream_fails_the_run_with_its_message() -> None:
    run = run_of(*papers(600), SourceError("OAI-PMH: badResumptionToken"), name="oai")

    assert (run.status, run.errors, run.created) == ("failed", "OAI-PMH: badResumptionToken", 500)
    assert run.finished_at is not None
    assert lock_is_free("oai")


def test_a_database_error_fails_the_run_and_releases_the_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What validation now prevents, forced through: a count past the database's integer
    # ("integer out of range" on PostgreSQL, OverflowError on SQLite).
    monkeypatch.setattr(ingestion, "validate_record", Validated)
    monkeypatch.setattr(catalogue, "check_storable", lambda records: None)

    run = run_of(*papers(500), paper(900, upvotes=2**64), name="oai")

    assert (run.status, run.created, Paper.objects.count()) == ("failed", 500, 500)
    assert run.errors.startswith("unexpected ")
    assert "(at ranking/services/catalogue.py:" in run.errors.splitlines()[0]
    assert lock_is_free("oai")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_is_recorded_then_raised(stop: type[BaseException]) -> None:
    with pytest.raises(stop):
        run_of(*papers(600), stop(), name="oai")

    run = IngestionRun.objects.get()
    assert (run.status, run.errors) == ("failed", f"interrupted by {stop.__name__}")
    assert lock_is_free("oai")


def test_a_run_that_skipped_every_record_fails() -> None:
    bad = [Skipped(f"line {n}", "not valid JSON") for n in range(1, 1001)]

    run = run_of(*bad)

    assert (run.status, run.fetched, run.skipped) == ("failed", 1000, 1000)
    assert run.errors.splitlines()[0] == (
        "all 1,000 records skipped; first reason: line 1: not valid JSON"
    )
    assert run.errors.splitlines()[-1] == "... and 950 more"


def test_an_empty_file_fails_but_an_empty_feed_day_does_not() -> None:
    empty_file = run_of()
    quiet_day = run_of(name="hf")

    assert (empty_file.status, empty_file.errors) == ("failed", "no records found")
    assert (quiet_day.status, quiet_day.errors) == ("succeeded", "")


def test_a_rerun_of_unchanged_records_succeeds() -> None:
    run_of(*papers(3))

    again = run_of(*papers(3), Skipped("line 4", "no title"))

    assert (again.status, again.unchanged, again.skipped) == ("succeeded", 3, 1)
