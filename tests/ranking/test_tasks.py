from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db import OperationalError

from ranking import tasks
from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.sources.base import PaperRecord, SourceItem, Window
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages, recorded

Serve = Callable[[Route], FixtureServer]
EASTERN = ZoneInfo("America/New_York")


@pytest.mark.django_db
def test_the_hf_task_twice_stores_each_paper_once(serve: Serve) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if query["date"] == "2024-10-25":
            return Reply(body=recorded("hf-daily-papers/daily_papers_2024-10-25.json"))
        return Reply(body=b"[]")

    server = serve(route)

    with time_machine.travel(datetime(2024, 10, 25, 23, 45, tzinfo=UTC), tick=False):
        first = IngestionRun.objects.get(pk=tasks.ingest_hf_daily.delay().get())
        second = IngestionRun.objects.get(pk=tasks.ingest_hf_daily.delay().get())

    assert [s.query["date"] for s in server.seen[:2]] == ["2024-10-24", "2024-10-25"]
    assert (first.created, second.created, second.updated) == (29, 0, 0)
    assert Paper.objects.count() == 29


@pytest.mark.django_db
def test_the_nightly_arxiv_task_twice_stores_each_paper_once(serve: Serve) -> None:
    server = serve(oai_pages())

    with time_machine.travel(datetime(2023, 3, 8, 1, 30, tzinfo=UTC), tick=False):
        first = IngestionRun.objects.get(pk=tasks.ingest_arxiv_nightly.delay().get())
        second = IngestionRun.objects.get(pk=tasks.ingest_arxiv_nightly.delay().get())

    assert server.seen[0].query["from"] == "2023-03-05"
    assert (first.created, second.created, second.updated) == (2265, 0, 0)


def _announcements(start: datetime) -> Iterator[datetime]:
    """Every hour of one week, in UTC."""
    for hour in range(7 * 24):
        yield start + timedelta(hours=hour)


@pytest.mark.parametrize(
    "week", [datetime(2026, 1, 12, tzinfo=UTC), datetime(2026, 7, 13, tzinfo=UTC)]
)
def test_the_arxiv_schedule_runs_after_each_announcement_in_winter_and_summer(
    week: datetime,
) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["ingest-arxiv-nightly"]["schedule"]
    assert isinstance(schedule, crontab)
    runs = [
        moment.replace(minute=next(iter(schedule.minute)))
        for moment in _announcements(week)
        if moment.hour in schedule.hour and moment.isoweekday() % 7 in schedule.day_of_week
    ]

    eastern = [run.astimezone(EASTERN) for run in runs]
    assert sorted(e.strftime("%a") for e in eastern) == ["Mon", "Sun", "Thu", "Tue", "Wed"]
    assert all(20 <= e.hour <= 21 for e in eastern)  # after 20:00, the same evening


class _Dies:
    """A network source that breaks mid-stream, like a worker killed between two pages."""

    name = "oai"

    def __init__(self, records: list[PaperRecord], die_after: int | None) -> None:
        self.records, self.die_after = records, die_after

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        for number, record in enumerate(self.records):
            if number == self.die_after:
                raise RuntimeError("worker lost")
            yield record


@pytest.mark.django_db
def test_a_run_dying_mid_stream_keeps_whole_batches_and_the_rerun_completes() -> None:
    records = [
        PaperRecord(canonical_id=f"2501.{n:05d}", title=f"Paper {n}", abstract="A.")
        for n in range(1200)
    ]

    dead = ingest_papers(_Dies(records, die_after=700), Window())
    stored = Paper.objects.count()
    rerun = ingest_papers(_Dies(records, die_after=None), Window())

    assert stored == 500  # the first batch, whole; the second never half-written
    assert dead.status == "failed"
    assert dead.errors.startswith("unexpected RuntimeError: worker lost (at tests/ranking/")
    assert (rerun.created, rerun.unchanged) == (700, 500)
    assert Paper.objects.count() == 1200


@pytest.mark.django_db
def test_the_task_logs_a_crashed_run_in_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(tasks, "build_source", lambda name: _Crashes())

    run = IngestionRun.objects.get(pk=tasks.ingest_source.delay("oai").get())

    assert run.status == "failed"
    assert [(r.levelname, r.exc_info) for r in ours(caplog)] == [("ERROR", None)]
    assert (
        "-- unexpected ZeroDivisionError: division by zero (at tests/"
        in ours(caplog)[0].getMessage()
    )


@pytest.mark.django_db
def test_the_task_logs_one_line_when_not_even_a_run_can_be_recorded(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def database_down(**fields: object) -> IngestionRun:
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(IngestionRun.objects, "create", database_down)

    assert tasks.ingest_source.delay("oai").get() is None
    assert [(r.levelname, r.exc_info) for r in ours(caplog)] == [("ERROR", None)]
    assert (
        ours(caplog)[0]
        .getMessage()
        .startswith(
            "ingestion oai could not run: unexpected OperationalError: the database system is "
            "shutting down (at tests/ranking/test_tasks.py:"
        )
    )


class _Crashes:
    name = "oai"

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        yield from ()
        _ = 1 / 0


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Paperboy's log records (not Celery's own "task succeeded" line)."""
    return [r for r in caplog.records if r.name.startswith("ranking")]
