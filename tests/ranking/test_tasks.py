from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings

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
    """A source that breaks mid-stream, like a worker killed between two pages."""

    name = "file"

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

    with pytest.raises(RuntimeError, match="worker lost"):
        ingest_papers(_Dies(records, die_after=700), Window())
    stored = Paper.objects.count()
    rerun = ingest_papers(_Dies(records, die_after=None), Window())

    dead = IngestionRun.objects.get(pk=rerun.pk - 1)
    assert stored == 500  # the first batch, whole; the second never half-written
    assert (dead.status, dead.errors) == ("failed", "unexpected RuntimeError: worker lost")
    assert (rerun.created, rerun.unchanged) == (700, 500)
    assert Paper.objects.count() == 1200
