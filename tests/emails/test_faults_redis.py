"""Redis (broker, rate limiter) restarting mid-run, empty: queued tasks are gone. The workers
reconnect and the recovery sweep re-enqueues what is still pending; nothing is sent twice."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from config import embedded_redis
from tests.emails.faults import assert_each_got_one, fault_workers
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow
COUNT = 50


def test_a_redis_restart_mid_run_loses_and_duplicates_nothing(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    socket = tmp_path / "redis" / "redis.sock"
    holder = {"redis": embedded_redis.start(socket)}
    restarted = threading.Event()

    def restart() -> None:
        holder["redis"].kill()
        holder["redis"].wait(timeout=10)
        time.sleep(1.0)
        holder["redis"] = embedded_redis.start(socket)
        restarted.set()

    def on_data(n: int) -> None:
        if n == 15 and not restarted.is_set() and not getattr(on_data, "fired", False):
            on_data.fired = True  # type: ignore[attr-defined]
            threading.Thread(target=restart, daemon=True).start()

    smtp_server.on_data = on_data
    try:
        with fault_workers(tmp_path, smtp_server, redis_url=f"unix://{socket}", rate=30) as workers:
            workers.setup(COUNT)
            workers.start(concurrency=2)
            workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
            assert restarted.wait(300)

            def sweep() -> None:  # what beat does every few minutes
                with contextlib.suppress(Exception):  # the broker may still be coming back
                    workers.send("emails.tasks.recover_deliveries")

            workers.wait_until(lambda: workers.settled(COUNT), sweep, timeout=300)
            assert workers.states() == {"sent": COUNT}
            assert_each_got_one(smtp_server, COUNT)
    finally:
        holder["redis"].kill()
        holder["redis"].wait(timeout=10)


def test_a_night_queued_when_redis_restarts_is_opened_by_the_sweep(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    # The slot's run_nightly waits in Redis, no worker has taken it, Redis restarts empty:
    # no run row, no digests. The sweep sees that the queue is younger than the slot and opens
    # it then and there.
    socket = tmp_path / "redis" / "redis.sock"
    holder = {"redis": embedded_redis.start(socket)}
    try:
        with fault_workers(tmp_path, smtp_server, redis_url=f"unix://{socket}", rate=30) as workers:
            workers.env["FAULT_QUEUE_TIMEOUT"] = "600"  # production's: Redis's uptime tells
            workers.setup(COUNT)
            workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
            holder["redis"].kill()
            holder["redis"].wait(timeout=10)
            holder["redis"] = embedded_redis.start(socket)
            workers.start(concurrency=2)

            def sweep() -> None:  # what beat does every DELIVERY_SWEEP_SECONDS
                with contextlib.suppress(Exception):  # the broker may still be coming back
                    workers.send("emails.tasks.recover_deliveries")

            workers.wait_until(
                lambda: workers.settled(COUNT) and workers.runs_done() == 1, sweep, timeout=300
            )
            assert workers.states() == {"sent": COUNT}
            assert_each_got_one(smtp_server, COUNT)
            (run,) = workers.db.query(
                "SELECT due, sent, chunks, chunks_done FROM emails_nightlyrun"
            )
            assert run[:2] == (COUNT, COUNT)
            assert run[2] == run[3]
    finally:
        holder["redis"].kill()
        holder["redis"].wait(timeout=10)
