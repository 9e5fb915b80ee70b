"""check_beat and check_worker, the container HEALTHCHECKs of beat and workers (the real
processes are checked in test_start_scripts.py)."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from config import heartbeat


def test_check_beat_passes_on_a_fresh_heartbeat(capsys: pytest.CaptureFixture[str]) -> None:
    heartbeat.stamp()
    call_command("check_beat")
    assert "check_beat: heartbeat 0 s old" in capsys.readouterr().out


def test_check_beat_fails_without_a_heartbeat() -> None:
    with pytest.raises(CommandError, match="no heartbeat from celery beat"):
        call_command("check_beat")


def test_check_beat_fails_on_a_stale_heartbeat() -> None:
    heartbeat.stamp(time.time() - 600)
    with pytest.raises(CommandError, match=r"heartbeat is 600 s old \(limit 180 s\)"):
        call_command("check_beat")


def test_check_worker_fails_when_no_worker_answers() -> None:
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"no answer from celery@nobody within 0\.5 s"):
        call_command("check_worker", destination="celery@nobody", timeout=0.5)
    assert time.monotonic() - started < 5
