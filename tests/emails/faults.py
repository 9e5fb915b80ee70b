"""Harness of the fault tests: real Celery workers (subprocesses) on their own database.

The workers cannot see this test's database (in memory, or inside its transaction), so they
get their own: a SQLite file, or a fresh PostgreSQL database when the suite runs on
PostgreSQL. Tasks reach them through the test run's Redis.

The workers read the wall clock themselves, so the night they deliver is the current hour's
(`Workers.slot`), on the test's clock (tests/clock.py hands a moved clock to them).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Celery
from django.conf import settings

from tests import clock
from tests.procs import ROOT, base_env, start, stop_group, wait_for_text
from tests.smtp import SMTPServer


class Workers:
    def __init__(self, env: dict[str, str], tmp: Path, database: WorkerDatabase) -> None:
        self.env = env
        self.tmp = tmp
        self.db = database
        self.running: list[subprocess.Popen[bytes]] = []
        self.app = Celery("faults", broker=env["FAULT_BROKER"])
        self.logs: list[Path] = []
        # The night under test: this hour's slot (UTC), its subscribers due at this hour.
        self.slot = clock.now().replace(minute=0, second=0, microsecond=0)

    def setup(self, subscribers: int) -> None:
        """Migrate the workers' database; `subscribers` due in `self.slot`, ranked for it."""
        cmd = [sys.executable, "-m", "tests.emails.fault_setup", str(subscribers)]
        cmd.append(self.slot.isoformat())
        subprocess.run(cmd, cwd=ROOT, env=self.env, check=True, timeout=300)  # noqa: S603

    def start(self, concurrency: int = 1) -> subprocess.Popen[bytes]:
        log = self.tmp / f"worker{len(self.logs)}.log"
        self.logs.append(log)
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]
        cmd += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
        cmd += ["--hostname", f"fault{len(self.logs)}@%h"]
        process = start(cmd, self.env, log)
        self.running.append(process)
        wait_for_text(log, "ready.", process)
        return process

    def send(self, task: str, *args: Any) -> None:
        self.app.send_task(task, args=args)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                stop_group(process, 15)

    def states(self) -> Counter[str]:
        return Counter(state for (state,) in self.db.query("SELECT state FROM emails_digest"))

    def wait_until(
        self, done: Callable[[], bool], tick: Callable[[], None], timeout: float
    ) -> None:
        """Wait for `done`, calling `tick` (e.g. the beat's recovery sweep) every second."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                logs = "\n".join(log.read_text(errors="replace")[-2000:] for log in self.logs)
                raise AssertionError(f"timed out; ledger {self.states()}\n{logs}")
            tick()
            time.sleep(1)

    def runs_done(self) -> int:
        return int(
            self.db.query("SELECT COUNT(*) FROM emails_nightlyrun WHERE status = 'done'")[0][0]
        )

    def settled(self, expected: int) -> bool:
        counts = self.states()
        return sum(counts.values()) == expected and not counts["pending"] + counts["sending"]


class WorkerDatabase:
    def __init__(self, url: str, sqlite_path: Path | None) -> None:
        self.url = url
        self.sqlite_path = sqlite_path

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path, timeout=30) as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as db:
            return db.execute(sql).fetchall()  # type: ignore[arg-type]


@contextmanager
def worker_database(tmp: Path) -> Iterator[WorkerDatabase]:
    """A SQLite file, or a fresh PostgreSQL database on the server the suite runs on."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        path = tmp / "workers.sqlite3"
        yield WorkerDatabase(f"sqlite:///{path}", path)
        return
    import psycopg

    base = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    name = f"paperboy_faults_{uuid.uuid4().hex[:10]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield WorkerDatabase(base.rsplit("/", 1)[0] + f"/{name}", None)
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextmanager
def fault_workers(
    tmp: Path, server: SMTPServer, *, redis_url: str | None = None, rate: float = 50
) -> Iterator[Workers]:
    redis_url = redis_url or settings.REDIS_URL
    with worker_database(tmp) as database:
        env = base_env(
            DJANGO_SETTINGS_MODULE="tests.emails.worker_settings",
            DATABASE_URL=database.url,
            REDIS_URL=redis_url,
            FAULT_SMTP_PORT=str(server.port),
            FAULT_KEY_PREFIX=f"faults-{uuid.uuid4().hex[:8]}",
            FAULT_RATE=str(rate),
        )
        env.pop("PAPERBOY_TEST_EMBEDDED_REDIS", None)
        env["FAULT_BROKER"] = _broker(redis_url)
        workers = Workers(env, tmp, database)
        try:
            yield workers
        finally:
            workers.stop_all()


def _broker(redis_url: str) -> str:
    from config import env

    return env.celery_broker_url(redis_url)


def received(server: SMTPServer) -> Counter[str]:
    return Counter(rcpt for _, rcpts in server.envelopes for rcpt in rcpts)


def assert_each_got_one(server: SMTPServer, count: int) -> None:
    counts = received(server)
    assert counts == Counter({f"fault{n}@example.org": 1 for n in range(count)})
