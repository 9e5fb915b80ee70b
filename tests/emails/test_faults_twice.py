"""The same nightly task enqueued twice, and a run overlapping the next slot's, on two real
worker processes at once: one digest per subscriber."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.emails.faults import assert_each_got_one, fault_workers
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow
COUNT = 40


def test_enqueued_twice_and_overlapping_the_next_slot_sends_once(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    with fault_workers(tmp_path, smtp_server) as workers:
        workers.setup(COUNT)
        workers.start(concurrency=2)
        workers.start(concurrency=1)
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        workers.send("emails.tasks.run_nightly", (workers.slot + timedelta(hours=1)).isoformat())
        workers.send("emails.tasks.recover_deliveries", 0)  # a sweep racing the run

        def finished() -> bool:
            return workers.settled(COUNT) and workers.runs_done() == 2

        workers.wait_until(finished, lambda: None, timeout=300)
        workers.send("emails.tasks.recover_deliveries")
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        assert workers.states() == {"sent": COUNT}
        assert_each_got_one(smtp_server, COUNT)
        runs = workers.db.query("SELECT slot, due FROM emails_nightlyrun ORDER BY slot")
        assert [due for _, due in runs] == [COUNT, 0]
