"""The real processes of one fault scenario (bench/faults.py): its own PostgreSQL database
(cloned from a prepared template), a private `redis-server` without persistence, `celery
worker --concurrency 1` processes and `celery beat`, each in its own process group so that a
kill -9 takes the worker's pool child with it, as a crashed container does.

Every process runs the production settings (bench/fault_settings.py) from the environment
`Stack.env` builds; nothing here is shared with other benchmarks or test runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = "bench.fault_settings"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def database_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + f"/{name}"


def recreate_database(base: str, name: str, template: str | None = None) -> str:
    """Drop `name` if it exists and create it (empty, or a copy of `template`); its URL."""
    admin = pg_url(database_url(base, "postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        db.execute(f'CREATE DATABASE "{name}"{copy}')
    return database_url(base, name)


def base_env(**settings: str) -> dict[str, str]:
    """The benchmark's environment minus Django's, the venv first on PATH, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        SECRET_KEY="fault-benchmark-not-a-secret",  # noqa: S106 - a throwaway local run
        ALLOWED_HOSTS="localhost",
        SITE_URL="https://paperboy.example.org",
        DEFAULT_FROM_EMAIL="Paperboy <digest@paperboy.example.org>",
        EMAIL_HOST="127.0.0.1",
        LOG_FORMAT="text",
        LOG_LEVEL="INFO",
    )
    env.update(settings)
    return env


class Stack:
    """Redis, workers and beat of one scenario; `stop` ends every process it started."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int) -> None:
        self.workdir = workdir
        self.redis_port = free_port()
        self.env = {**env, "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0"}
        self.worker_count = workers
        self.redis: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers
        self.beat: subprocess.Popen[bytes] | None = None
        self.started: list[subprocess.Popen[bytes]] = []

    @property
    def broker_url(self) -> str:
        return self.env["REDIS_URL"]

    def start_redis(self) -> None:
        cmd = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.redis = self._spawn(cmd, "redis.log")
        client = redis.Redis(port=self.redis_port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.redis.poll() is not None:
                    raise SystemExit(
                        f"redis-server did not start: {self.workdir}/redis.log"
                    ) from None
                time.sleep(0.1)

    def kill_redis(self) -> None:
        """kill -9: a restart without persistence loses every queued task and key."""
        _kill(self.redis)

    def start_workers(self, numbers: list[int] | None = None) -> None:
        """Start workers (all by default; a killed one again, same name) and wait until each
        is ready."""
        numbers = list(range(self.worker_count)) if numbers is None else numbers
        offsets = {}
        for n in numbers:
            cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1"]
            cmd += ["--loglevel", "INFO", "--hostname", f"fault{n}@%h"]
            offsets[n] = _size(self.workdir / f"worker{n}.log")
            self.workers[n] = self._spawn(cmd, f"worker{n}.log")
        for n in numbers:
            self._wait_for(f"worker{n}.log", "ready.", offsets[n], self.workers[n])

    def sending_worker(self, smtp_port: int) -> int | None:
        """A worker with an SMTP connection open to `smtp_port` (one busy sending), if any."""
        for n, worker in enumerate(self.workers):
            if worker is None or worker.poll() is not None:
                continue
            try:
                root = psutil.Process(worker.pid)
                for process in [root, *root.children(recursive=True)]:
                    for conn in process.net_connections(kind="tcp"):
                        if conn.raddr and conn.raddr.port == smtp_port:
                            return n
            except psutil.Error:
                continue
        return None

    def kill_worker(self, n: int) -> None:
        _kill(self.workers[n])
        self.workers[n] = None

    def start_beat(self) -> None:
        cmd = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"]
        cmd += ["--schedule", str(self.workdir / "celerybeat-schedule")]
        self.beat = self._spawn(cmd, "beat.log")
        self._wait_for("beat.log", "beat: Starting", 0, self.beat)

    def beat_sent(self) -> dict[str, int]:
        """How many times beat sent each entry: `Sending due task <name> (<task>)`."""
        counts: dict[str, int] = {}
        for line in _read(self.workdir / "beat.log").splitlines():
            if "Sending due task " in line:
                name = line.split("Sending due task ", 1)[1].split(" ", 1)[0]
                counts[name] = counts.get(name, 0) + 1
        return counts

    def stop(self) -> None:
        """SIGTERM every process group started here (workers warm-stop), then SIGKILL."""
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill(process)
            _kill_group_leftovers(process.pid)

    def _spawn(self, cmd: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.workdir / log).open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own commands
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.started.append(process)
        return process

    def _wait_for(
        self, log: str, text: str, offset: int, process: subprocess.Popen[bytes] | None
    ) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if text in _read(self.workdir / log)[offset:]:
                return
            if process is None or process.poll() is not None:
                break
            time.sleep(0.2)
        output = _read(self.workdir / log)[-3000:]
        raise SystemExit(f"{text!r} not in {self.workdir / log}:\n{output}")


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _kill_group_leftovers(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _size(path: Path) -> int:
    return len(_read(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
