"""Kill -9 a real Celery worker in the middle of sending; a new worker and the recovery sweep
finish the night. Every due subscriber gets exactly one digest, and the ledger says so."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from tests.emails.faults import Workers, assert_each_got_one, fault_workers
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow
COUNT = 40


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
