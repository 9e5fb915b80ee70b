"""Kill -9 an ingestion mid-harvest, re-run it: every paper once, the dead run marked failed.

Runs `manage.py` in real subprocesses against the local fixture server. The subprocesses use
their own SQLite file database (a test database in memory or inside this process's transaction
would be invisible to them), whatever DATABASE_URL this suite runs on; the in-process variant
(tests/ranking/test_tasks.py) covers the same on every database.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.procs import base_env
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
Serve = Callable[[Route], FixtureServer]


def manage(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_a_killed_harvest_reruns_to_completion_without_duplicates(
    serve: Serve, tmp_path: Path
) -> None:
    pages = oai_pages()
    stalled = threading.Event()
    holder: dict[str, FixtureServer] = {}

    def route(path: str, query: dict[str, str]) -> Reply:
        if query.get("resumptionToken") == "6511260|1001" and not stalled.is_set():
            stalled.set()
            holder["server"].release.wait(60)  # hangs until the harvester is dead
        return pages(path, query)

    server = holder["server"] = serve(route)
    database = tmp_path / "killed.sqlite3"
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"sqlite:///{database}",
        ARXIV_OAI_URL=server.url("/oai2"),
        ARXIV_REQUEST_INTERVAL="0.01",
        INGEST_LOCK_TTL="2",
        INGEST_LOCK_WAIT="10",
    )
    migrate = manage(env, "migrate", "--noinput", "-v", "0")
    assert migrate.wait(timeout=300) == 0, migrate.stdout.read() if migrate.stdout else ""

    harvester = manage(env, "ingest_papers", "--source", "oai")
    wait_for(stalled.is_set)
    harvester.send_signal(signal.SIGKILL)
    harvester.wait(timeout=30)
    server.release.set()
    rerun = manage(env, "ingest_papers", "--source", "oai")
    output = rerun.communicate(timeout=300)[0]

    assert harvester.returncode == -signal.SIGKILL
    assert rerun.returncode == 0, output
    assert "created 1265, updated 0, unchanged 1000" in output
    with sqlite3.connect(database) as db:
        papers, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT canonical_id) FROM ranking_paper"
        ).fetchone()
        runs = db.execute("SELECT status, errors FROM ranking_ingestionrun ORDER BY id").fetchall()
    assert papers == distinct == 2265
    assert runs[0][0] == "failed"
    assert runs[0][1].startswith("interrupted")
    assert runs[1] == ("succeeded", "")
