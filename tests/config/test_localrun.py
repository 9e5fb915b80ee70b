"""`make run`'s supervisor: everything starts, mail is caught, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
import urllib.request
from email.message import EmailMessage

import psutil
import pytest

from tests.procs import (
    ROOT,
    base_env,
    free_port,
    group_alive,
    start,
    stop_group,
    wait_for_http,
    wait_for_text,
)

pytestmark = pytest.mark.slow


def test_it_runs_everything_and_stops_everything_on_ctrl_c(tmp_path) -> None:
    port, smtp_port = free_port(), free_port()
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        PAPERBOY_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PORT=str(port),
        EMAIL_PORT=str(smtp_port),
    )
    env.pop("REDIS_URL")  # the supervisor starts its own embedded Redis in tmp_path
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = tmp_path / "run.log"
    process = start([sys.executable, "-m", "config.localrun"], env, log)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/", process) == 200
        wait_for_text(log, "celery@", process)  # the worker reached the embedded Redis
        wait_for_text(log, "beat: Starting", process)
        _send_mail(smtp_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/mail/") as response:
            assert "Hello from the test" in response.read().decode()
        # honcho starts each child in its own session, so collect them by parentage.
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 5
    finally:
        stop_group(process, signal.SIGINT)
    assert not group_alive(process.pid)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    output = log.read_text()
    for name in ("redis", "mail", "web", "worker", "beat"):
        assert f"{name} stopped" in output


def _send_mail(port: int) -> None:
    message = EmailMessage()
    message["From"], message["To"] = "paperboy@localhost", "reader@example.org"
    message["Subject"] = "Hello from the test"
    message.set_content("plain body")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)
