"""The container start scripts, run outside Docker on production settings."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.procs import ROOT, base_env, free_port, start, stop_group, wait_for_http, wait_for_text

MANAGE = ["python", "manage.py"]

pytestmark = pytest.mark.slow


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return base_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="start-script-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        DEFAULT_FROM_EMAIL="Paperboy <paperboy@example.org>",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PORT=str(free_port()),
        WEB_CONCURRENCY="1",
        WORKER_CONCURRENCY="1",
        BEAT_SCHEDULE_FILE=str(tmp_path / "beat-schedule"),
        STATIC_ROOT=str(tmp_path / "static"),
    )


def test_start_web_migrates_and_serves_with_gunicorn(production_env, tmp_path) -> None:
    # As the Dockerfile does at build time.
    collect = [*MANAGE, "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=ROOT, env=production_env, check=True, timeout=120)  # noqa: S603
    log = tmp_path / "web.log"
    process = start(["docker/start-web"], production_env, log)
    try:
        base = f"http://127.0.0.1:{production_env['PORT']}"
        assert wait_for_http(f"{base}/admin/login/", process) == 200
        # The container HEALTHCHECK's request: any Host, plain HTTP, no redirect.
        request = urllib.request.Request(f"{base}/healthz", headers={"Host": "10.0.0.7:8000"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = json.loads(response.read())
        assert body["status"] == "degraded"  # no delivery run and no beat yet
        assert body["checks"]["database"]["ok"]
        assert body["checks"]["redis"]["ok"]
        # Production logs are JSON lines: gunicorn's own and the access log alike.
        booting = [line for line in log.read_text().splitlines() if "Booting worker" in line]
        assert json.loads(booting[0])["logger"] == "gunicorn.error"
    finally:
        assert stop_group(process, signal.SIGTERM) == 0


def test_start_web_cuts_off_a_slow_client(production_env, tmp_path) -> None:
    env = {**production_env, "WEB_TIMEOUT": "3"}
    process = start(["docker/start-web"], env, tmp_path / "web.log")
    try:
        base = f"http://127.0.0.1:{env['PORT']}"
        assert wait_for_http(f"{base}/healthz", process) in {200, 503}
        with socket.create_connection(("127.0.0.1", int(env["PORT"])), timeout=30) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            started = time.monotonic()
            # gunicorn kills the worker after WEB_TIMEOUT; the client gets a 500 or a hang-up.
            answer = slow.recv(4096)
            waited = time.monotonic() - started
            while chunk := slow.recv(4096):
                answer += chunk
        assert answer == b"" or answer.startswith(b"HTTP/1.1 500"), answer
        assert 2 < waited < 3 + 10
        assert wait_for_http(f"{base}/healthz", process) in {200, 503}  # and still serves
    finally:
        stop_group(process, signal.SIGTERM)


def test_start_worker_and_beat_pass_their_health_checks(production_env, tmp_path) -> None:
    env = {**production_env, "BEAT_HEARTBEAT_INTERVAL": "1"}

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [*MANAGE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    quiet = check("check_worker", "--timeout", "1")
    assert quiet.returncode != 0
    assert "no answer from celery@" in quiet.stderr
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = start(["docker/start-worker"], env, worker_log)
    beat = start(["docker/start-beat"], env, beat_log)
    try:
        wait_for_text(worker_log, "ready.", worker)
        wait_for_text(beat_log, "beat: Starting", beat)
        ready = [line for line in worker_log.read_text().splitlines() if " ready." in line]
        assert json.loads(ready[0])["logger"] == "celery.apps.worker"  # JSON, as in production
        pinged = check("check_worker", "--timeout", "10")
        assert pinged.returncode == 0, pinged.stderr
        assert "answered" in pinged.stdout
        deadline = time.monotonic() + 30
        while (beat_ok := check("check_beat")).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert beat_ok.returncode == 0, beat_ok.stderr
    finally:
        stop_group(worker, signal.SIGTERM)
        stop_group(beat, signal.SIGTERM)
    time.sleep(2.5)
    stale = check("check_beat", "--max-age", "2")
    assert stale.returncode != 0
    assert "heartbeat is" in stale.stderr


def test_start_scripts_name_an_unreachable_service(production_env, tmp_path) -> None:
    env = {**production_env, "REDIS_URL": "redis://127.0.0.1:9/0", "SERVICES_WAIT_SECONDS": "0"}
    for script in ("docker/start-web", "docker/start-worker", "docker/start-beat"):
        result = subprocess.run(  # noqa: S603
            [script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode != 0
        assert "REDIS_URL: cannot reach redis://127.0.0.1:9/0" in result.stderr
