from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from ranking.models import IngestionRun, Paper
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages, recorded
from tests.ranking.test_ingest_arxiv_api import route as arxiv_route

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
FILES = Path(__file__).resolve().parents[2] / "ranking" / "fixtures" / "files"
DEMO = FILES.parent / "demo" / "trending-papers.txt"
# Papers that appear in two fixtures (e.g. on the HF day and the trending page) become one.
MERGED_ACROSS_FIXTURES = 0


def every_source(path: str, query: dict[str, str]) -> Reply:
    if path == "/oai2":
        return oai_pages()(path, query)
    if path == "/api/daily_papers":
        if query["date"] == "2024-10-25":
            return Reply(body=recorded("hf-daily-papers/daily_papers_2024-10-25.json"))
        return Reply(body=b"[]")
    return arxiv_route(path, query)


def ingest(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("ingest_papers", *args, stdout=out)
    return out.getvalue()


def load_everything() -> list[str]:
    return [
        ingest("--source", "oai", "--since", "2023-03-07"),
        ingest("--source", "arxiv", "--categories", "cs.LG"),
        ingest("--source", "arxiv", "--ids", "astro-ph/0601001"),
        ingest("--source", "hf", "--date", "2024-10-25"),
        ingest("--source", "file", "--path", *(str(p) for p in sorted(FILES.iterdir())), str(DEMO)),
    ]


def test_it_loads_every_fixture_and_a_rerun_creates_nothing(
    serve: Serve, settings: SettingsWrapper
) -> None:
    settings.ARXIV_API_PAGE_SIZE, settings.ARXIV_API_MAX_RESULTS = 10, 60
    serve(every_source)

    first = load_everything()
    count = Paper.objects.count()
    second = load_everything()

    assert "fetched 2265, created 2265" in first[0]
    assert "fetched 60, created 60" in first[1]
    assert "fetched 29" in first[3]
    assert all("created 0" in line for text in second for line in text.splitlines()), second
    assert Paper.objects.count() == count
    assert count == 2265 + 60 + 1 + 29 + 4 + 1 + 217 - MERGED_ACROSS_FIXTURES
    assert IngestionRun.objects.filter(status="failed").count() == 0


def test_it_prints_one_summary_line_per_run(serve: Serve) -> None:
    serve(every_source)

    out = ingest("--source", "hf", "--date", "2024-10-25")

    assert out.splitlines() == [
        "ingest_papers: hf [2024-10-25..2024-10-25] succeeded: fetched 29, created 29, "
        "updated 0, unchanged 0, skipped 0"
    ]


def test_a_failed_run_exits_with_an_error(serve: Serve) -> None:
    serve(lambda path, query: Reply(status=503))

    with pytest.raises(CommandError, match="1 of 1 run"):
        ingest("--source", "hf", "--date", "2024-10-25")

    run = IngestionRun.objects.get()
    assert (run.status, run.source) == ("failed", "hf")
    assert "HTTP 503" in run.errors


def test_the_file_source_needs_a_path() -> None:
    with pytest.raises(CommandError, match="--path"):
        ingest("--source", "file")


def test_jsonl_written_elsewhere_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "2401.00001v1", "title": "T", "abstract": "A"}) + "\n")

    out = ingest("--source", "file", "--path", str(path))

    assert "created 1" in out
