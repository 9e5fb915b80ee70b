"""Kill -9 a real Celery worker in the middle of sending; a new worker and the recovery sweep
finish the night. Every due subscriber gets exactly one digest, and the ledger says so."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.emails.faults import Workers, assert_each_got_one, fault_workers
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow
COUNT = 40
logger = logging.getLogger(__name__)


def kill_on(workers: Workers, killed: threading.Event) -> callable:  # type: ignore[valid-type]
    def kill(_: int) -> None:
        if not killed.is_set():
            os.killpg(workers.running[0].pid, signal.SIGKILL)
            killed.set()

    return kill


def run_and_kill(workers: Workers, server: SMTPServer, hook: str) -> threading.Event:
    killed = threading.Event()
    workers.setup(COUNT)
    workers.start()
    setattr(server, hook, lambda n: n == 15 and kill_on(workers, killed)(n))
    workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
    assert killed.wait(300), workers.states()
    workers.running[0].wait(timeout=30)
    setattr(server, hook, None)
    workers.start()
    workers.wait_until(
        lambda: workers.settled(COUNT),
        lambda: workers.send("emails.tasks.recover_deliveries"),
        timeout=300,
    )
    return killed


def test_killed_before_the_hand_off_the_digest_is_sent_again_once(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    # Killed while the server waits on RCPT TO: the claimed row certainly never went out.
    with fault_workers(tmp_path, smtp_server) as workers:
        run_and_kill(workers, smtp_server, "on_rcpt")
        assert workers.states() == {"sent": COUNT}
        assert_each_got_one(smtp_server, COUNT)
        (attempts,) = workers.db.query("SELECT MAX(attempts) FROM emails_digest")[0]
        assert attempts == 2  # the killed claim, then the re-send


def test_killed_after_the_hand_off_the_digest_is_uncertain_and_not_resent(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    # Killed after the server took the 15th message but before the worker saw the 250:
    # the ambiguous case. It is recorded `uncertain` and not sent again.
    with fault_workers(tmp_path, smtp_server) as workers:
        run_and_kill(workers, smtp_server, "on_data")
        assert workers.states() == {"sent": COUNT - 1, "uncertain": 1}
        assert_each_got_one(smtp_server, COUNT)
        rows = workers.db.query("SELECT message_id FROM emails_digest WHERE state = 'uncertain'")
        uncertain = rows[0][0]
        assert uncertain in {m["Message-ID"] for m in smtp_server.messages}


def test_a_killed_sender_costs_a_lease_and_a_sweep_and_the_run_adds_up(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    # Production's lease and sweep interval: the killed worker's digests (claimed, and the
    # rest of its chunk) are sent within SEND_LEASE_SECONDS + DELIVERY_SWEEP_SECONDS of its
    # death, not after a fixed ten-minute timeout, and the run's record says what happened.
    lease, sweep_every = 60.0, 30.0
    killed: list[float] = []
    arrivals: list[float] = []

    def on_data(n: int) -> None:
        arrivals.append(time.monotonic())
        if n == 15 and not killed:
            os.killpg(workers.running[0].pid, signal.SIGKILL)
            killed.append(time.monotonic())

    # One chunk claimed ten at a time: at the kill, ten rows are claimed and twenty more wait
    # in the dead task, unclaimed; both come back with the lease.
    with fault_workers(tmp_path, smtp_server, rate=10) as workers:
        workers.env.update(FAULT_LEASE=str(lease), FAULT_QUEUE_TIMEOUT="600")
        workers.env["FAULT_CHUNK_SIZE"] = str(COUNT)
        workers.setup(COUNT)
        workers.start()
        smtp_server.on_data = on_data
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        workers.wait_until(lambda: bool(killed), lambda: None, timeout=300)
        workers.running[0].wait(timeout=30)
        workers.start()  # a replacement, as a supervisor would start
        swept = [time.monotonic()]

        def sweep() -> None:  # what beat does every DELIVERY_SWEEP_SECONDS
            if time.monotonic() - swept[0] >= sweep_every:
                workers.send("emails.tasks.recover_deliveries")
                swept[0] = time.monotonic()

        workers.wait_until(lambda: workers.settled(COUNT), sweep, timeout=600)
        settled = time.monotonic()
        workers.wait_until(lambda: workers.runs_done() == 1, sweep, timeout=300)
        closed = time.monotonic()
        assert workers.states() == {"sent": COUNT - 1, "uncertain": 1}  # the 15th: on the wire
        assert_each_got_one(smtp_server, COUNT)
        recovery = arrivals[-1] - killed[0]
        logger.info(
            "killed worker: last digest %.1f s after the kill, run done %.1f s after it",
            recovery,
            closed - arrivals[-1],
        )
        assert recovery < lease + sweep_every + 30  # the rest: a worker's start and sending
        assert closed - settled < sweep_every + 30
        assert_run_adds_up(workers, COUNT)


def assert_run_adds_up(workers: Workers, due: int) -> None:
    """The run's counters are the ledger's counts and add up to who was due."""
    columns = "status, due, chunks, chunks_done, sent, failed, suppressed, skipped, uncertain"
    (run,) = workers.db.query(f"SELECT {columns} FROM emails_nightlyrun")  # noqa: S608
    status, planned, chunks, chunks_done, *outcomes = run
    assert (status, planned, chunks_done) == ("done", due, chunks)
    names = ("sent", "failed", "suppressed", "skipped", "uncertain")
    assert dict(zip(names, outcomes, strict=True)) == {n: workers.states()[n] for n in names}
    assert sum(outcomes) == due
