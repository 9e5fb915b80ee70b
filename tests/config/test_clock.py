"""The test clock (tests/clock.py): the run's --clock, a test's own `clock` marker, and the
processes a test starts all agree on "now"."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests import clock
from tests.procs import base_env

CHILD_NOW = "import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())"


def child_now() -> datetime:
    out = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", CHILD_NOW],
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return datetime.fromisoformat(out.stdout.strip())


def test_every_test_starts_at_the_run_s_clock(request: pytest.FixtureRequest) -> None:
    moved = request.config.getoption("clock")
    if not moved:  # the real clock (CI's second pass sets --clock)
        assert clock.offset_seconds() == 0.0
        return
    start = datetime.fromisoformat(moved.replace("Z", "+00:00"))
    assert start <= clock.now() < start + timedelta(minutes=5)


@pytest.mark.clock("2030-02-28T23:59:50Z")
def test_a_marked_test_starts_at_its_own_instant_and_ticks() -> None:
    first = clock.now()
    assert first.date().isoformat() == "2030-02-28"
    assert datetime(2030, 2, 28, 23, 59, 50, tzinfo=UTC) <= first < datetime(2030, 3, 1, tzinfo=UTC)


@pytest.mark.clock("2030-02-28T23:59:50Z")
def test_processes_a_test_starts_share_its_clock() -> None:
    child = child_now()
    assert abs(child - clock.now()) < timedelta(seconds=30)


@pytest.mark.clock("2031-06-01T12:00Z", tick=False)
def test_a_frozen_test_stays_put() -> None:
    assert clock.now() == datetime(2031, 6, 1, 12, tzinfo=UTC)
    assert clock.now() == datetime(2031, 6, 1, 12, tzinfo=UTC)
