"""The container start scripts, run outside Docker on production settings."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.procs import ROOT, base_env, free_port, start, stop_group, wait_for_http, wait_for_text

pytestmark = pytest.mark.slow


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return base_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="start-script-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
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
    collect = ["python", "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=ROOT, env=production_env, check=True, timeout=120)  # noqa: S603
    log = tmp_path / "web.log"
    process = start(["docker/start-web"], production_env, log)
    try:
        url = f"http://127.0.0.1:{production_env['PORT']}/admin/login/"
        assert wait_for_http(url, process) == 200
        assert "Booting worker" in log.read_text()
    finally:
        assert stop_group(process, signal.SIGTERM) == 0


def test_start_worker_and_beat_connect_to_redis(production_env, tmp_path) -> None:
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = start(["docker/start-worker"], production_env, worker_log)
    beat = start(["docker/start-beat"], production_env, beat_log)
    try:
        wait_for_text(worker_log, "ready.", worker)
        wait_for_text(beat_log, "beat: Starting", beat)
    finally:
        stop_group(worker, signal.SIGTERM)
        stop_group(beat, signal.SIGTERM)


def test_start_scripts_name_an_unreachable_service(production_env, tmp_path) -> None:
    env = {**production_env, "REDIS_URL": "redis://127.0.0.1:9/0", "SERVICES_WAIT_SECONDS": "0"}
    for script in ("docker/start-web", "docker/start-worker", "docker/start-beat"):
        result = subprocess.run(  # noqa: S603
            [script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode != 0
        assert "REDIS_URL: cannot reach redis://127.0.0.1:9/0" in result.stderr
