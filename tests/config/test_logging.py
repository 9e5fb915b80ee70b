"""Logs: JSON lines in production (LOG_FORMAT), each with the request id of its request."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from tests.procs import ROOT, base_env

# Logs one line inside a request id, then an exception, the way production settings format them.
SCRIPT = """
import logging
from config import logs
token = logs.request_id.set("req-42")
logging.getLogger("paperboy.test").warning("hello %s", "world")
logs.request_id.reset(token)
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("paperboy.test").exception("it broke")
"""


def run_shell(*command: str, **env: str) -> list[str]:
    environment = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="log-test-" + "k" * 50,
        ALLOWED_HOSTS="paperboy.example.org",
        SITE_URL="https://paperboy.example.org",
        DEFAULT_FROM_EMAIL="Paperboy <paperboy@paperboy.example.org>",
        **env,
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *(command or ("shell", "-c", SCRIPT))],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stderr.strip().splitlines()


def test_production_logs_are_json_lines_with_request_ids_and_tracebacks() -> None:
    lines = [json.loads(line) for line in run_shell() if line.startswith("{")]
    hello, broke = lines[-2], lines[-1]
    assert hello["message"] == "hello world"
    assert (hello["level"], hello["logger"], hello["request_id"]) == (
        "WARNING",
        "paperboy.test",
        "req-42",
    )
    assert hello["time"].endswith("+0000")
    assert broke["request_id"] == "-"
    assert "ZeroDivisionError" in broke["exc_info"]


def test_log_format_text_gives_plain_lines() -> None:
    lines = run_shell(LOG_FORMAT="text")
    assert any("WARNING paperboy.test [req-42]: hello world" in line for line in lines)


def test_a_bad_log_format_is_named() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_shell("check", LOG_FORMAT="xml")
    assert "LOG_FORMAT: expected one of text, json, got 'xml'" in str(failure.value.stderr)


@pytest.mark.django_db
def test_each_response_carries_its_request_id(client: Client) -> None:
    assert client.get("/", HTTP_X_REQUEST_ID="edge-1234").headers["X-Request-ID"] == "edge-1234"
    generated = client.get("/", HTTP_X_REQUEST_ID="bad id with spaces\n").headers["X-Request-ID"]
    assert len(generated) == 32
    assert " " not in generated
