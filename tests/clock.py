"""One clock for a test and for every process it starts.

The suite must hold on any day, so CI runs it a second time with the clock moved far away:
`--clock=2027-12-31T23:45Z` (or PAPERBOY_TEST_CLOCK) starts every test at that instant with
time-machine, ticking. A test that depends on a particular instant says which with
`@pytest.mark.clock("2026-11-26T07:05Z")`; it starts there on every run, moved clock or not.

Processes a test starts (Celery workers, manage.py) read the wall clock themselves, so
`subprocess_env` hands them the test's offset from the real clock and puts
tests/clockshim/ (a sitecustomize that travels by that offset) on their PYTHONPATH.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

ENV = "PAPERBOY_TEST_CLOCK"
OFFSET_ENV = "PAPERBOY_TEST_CLOCK_OFFSET"
SHIM = Path(__file__).resolve().parent / "clockshim"


# For tests that count requests against django-ratelimit's fixed windows: each window ends at
# a fixed second of the minute (or hour) per key, and one ending mid-test resets the count.
FROZEN = pytest.mark.clock("2026-11-26T12:00:00Z", tick=False)


def add_option(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get(ENV) or None,
        help="start every test at this ISO instant (time-machine, ticking); default: the "
        f"real clock, or ${ENV}",
    )


def destination(item: pytest.Item) -> tuple[str | datetime, bool] | None:
    """Where `item` starts: its `clock` marker, else the run's --clock, else nowhere."""
    marker = item.get_closest_marker("clock")
    if marker is not None:
        return marker.args[0], bool(marker.kwargs.get("tick", True))
    moved = item.config.getoption("clock")
    return (moved, True) if moved else None


@pytest.fixture(autouse=True)
def _test_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    where = destination(request.node)
    if where is None:
        yield
        return
    with time_machine.travel(where[0], tick=where[1]):
        yield


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def offset_seconds() -> float:
    """How far this process's clock is from the real one (0 when nobody travelled)."""
    if not time_machine.escape_hatch.is_travelling():
        return 0.0
    return time.time() - time_machine.escape_hatch.time.time()


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """`env` for a child process that must share this test's clock."""
    offset = offset_seconds()
    env.pop(OFFSET_ENV, None)
    if abs(offset) < 1.0:
        return env
    env[OFFSET_ENV] = repr(offset)
    paths = [str(SHIM), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env
