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
