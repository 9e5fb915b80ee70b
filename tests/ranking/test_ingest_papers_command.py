from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from pytest_django.fixtures import Settings as SettingsWrapper

from ranking.models import IngestionRun, Paper
from ranking.sources.base import Window
from ranking.sources.files import FileSource
from tests.procs import base_env
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages, recorded
from tests.ranking.test_ingest_arxiv_api import route as arxiv_route
from tests.ranking.test_ingest_failures import Scripted, paper

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "ranking" / "fixtures" / "files"
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


def ingest_failing(*args: str) -> tuple[str, str, str]:
    """stdout, stderr and the one-line error of a run expected to fail."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("ingest_papers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(failure.value)


def test_it_prints_the_first_20_skipped_records_with_the_file_then_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.jsonl"
    good = {"id": "2401.00001", "title": "Fine", "abstract": "A."}
    path.write_text("\n".join([json.dumps(good), *["not json"] * 30]) + "\n")
    monkeypatch.setattr(
        "ranking.management.commands.ingest_papers.build_source",
        lambda name: Scripted([paper(1, title="t" * 100_000), *FileSource().fetch(window(path))]),
    )
    out, err = StringIO(), StringIO()

    call_command("ingest_papers", "--source", "file", "--path", str(path), stdout=out, stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0] == (
        f"{path}: skipped 2501.00001: title is 100,000 characters, over the 1,000 limit"
    )
    assert lines[1].startswith(f"{path}: skipped line 2: not valid JSON")
    assert lines[19].startswith(f"{path}: skipped line 20: ")
    assert lines[20:] == ["... and 11 more"]
    assert out.getvalue().splitlines() == [
        f"ingest_papers: file [{path}] succeeded: fetched 32, created 1, updated 0, "
        "unchanged 0, skipped 31"
    ]


def test_a_crash_half_way_through_a_file_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = Scripted([*(paper(n) for n in range(700)), KeyError("abstract")])
    monkeypatch.setattr("ranking.management.commands.ingest_papers.build_source", lambda n: crash)

    out, _, error = ingest_failing("--source", "file", "--path", str(tmp_path / "x.jsonl"))

    assert error == "1 of 1 run(s) failed; see above"
    assert "failed: fetched 0, created 0" in out
    assert "-- unexpected KeyError: 'abstract' (at tests/ranking/" in out
    assert not Paper.objects.exists()
    assert IngestionRun.objects.get().status == "failed"


def test_ctrl_c_is_one_line_and_leaves_the_run_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped = Scripted([*(paper(n) for n in range(600)), KeyboardInterrupt()], name="oai")
    monkeypatch.setattr("ranking.management.commands.ingest_papers.build_source", lambda n: stopped)

    with pytest.raises(
        CommandError, match=r"^interrupted; the run is recorded as failed$"
    ) as ctrl_c:
        call_command("ingest_papers", "--source", "oai", stdout=StringIO(), stderr=StringIO())

    assert ctrl_c.value.returncode == 130
    run = IngestionRun.objects.get()
    assert (run.status, run.errors, run.created) == (
        "failed",
        "interrupted by KeyboardInterrupt",
        500,
    )


def test_a_file_whose_every_record_is_skipped_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n[1]\n" + json.dumps({"title": "No abstract"}) + "\n")

    out, err, error = ingest_failing("--source", "file", "--path", str(path))

    assert "failed: fetched 3, created 0" in out
    assert "-- all 3 records skipped; first reason: line 1: not valid JSON" in out
    assert len(err.splitlines()) == 3
    assert error == "1 of 1 run(s) failed; see above"


def test_an_empty_file_fails_and_the_others_still_load(tmp_path: Path) -> None:
    empty, good = tmp_path / "empty.jsonl", tmp_path / "good.jsonl"
    empty.write_text("\n")
    good.write_text(json.dumps({"id": "2401.00001", "title": "T", "abstract": "A"}) + "\n")

    out, _, error = ingest_failing("--source", "file", "--path", str(empty), str(good))

    assert (
        f"[{empty}] failed: fetched 0, created 0, updated 0, unchanged 0, skipped 0 -- no "
        "records found" in out
    )
    assert f"[{good}] succeeded: fetched 1, created 1" in out
    assert error == "1 of 2 run(s) failed; see above"


def test_it_fails_in_one_line_when_no_run_can_even_be_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def database_down(*args: object, **kwargs: object) -> IngestionRun:
        raise OperationalError("connection to server at 127.0.0.1 failed\nIs it running?")

    monkeypatch.setattr("ranking.management.commands.ingest_papers.ingest_papers", database_down)

    _, _, error = ingest_failing("--source", "hf", "--date", "2024-10-25")

    assert error.startswith(
        "hf: unexpected OperationalError: connection to server at 127.0.0.1 failed (at tests/"
    )


@pytest.mark.slow
def test_manage_py_prints_no_traceback_when_the_database_refuses_the_write(
    tmp_path: Path,
) -> None:
    database, path = tmp_path / "broken.sqlite3", tmp_path / "good.jsonl"
    path.write_text(json.dumps({"id": "2401.00001", "title": "T", "abstract": "A"}) + "\n")
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=f"sqlite:///{database}"
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    with sqlite3.connect(database) as db:  # a schema out of step with the code
        db.execute("DROP TABLE ranking_paper")

    result = manage(env, "ingest_papers", "--source", "file", "--path", str(path), check=False)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "failed: fetched 0, created 0" in result.stdout
    assert (
        "-- unexpected OperationalError: no such table: ranking_paper (at ranking/" in result.stdout
    )
    assert result.stderr.splitlines()[-1] == "CommandError: 1 of 1 run(s) failed; see above"


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def window(path: Path) -> Window:
    return Window(path=str(path))
