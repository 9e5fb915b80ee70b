"""SMTP trouble with real workers: 421/451 to 20% of messages, and the server going away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.emails.faults import assert_each_got_one, fault_workers
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow
COUNT = 50


def test_421_and_451_to_a_fifth_of_messages_are_retried_to_exactly_once(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    smtp_server.fail_every = 5  # alternately "451 try again later" and "421 too busy, closing"
    with fault_workers(tmp_path, smtp_server) as workers:
        workers.setup(COUNT)
        workers.start(concurrency=2)
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        # The ledger settles before the last chunk task records its report and closes the run.
        workers.wait_until(
            lambda: workers.settled(COUNT) and workers.runs_done() == 1, lambda: None, timeout=300
        )
        assert workers.states() == {"sent": COUNT}
        assert_each_got_one(smtp_server, COUNT)
        # Every refusal is paid for by a later attempt; a row may be refused more than once,
        # and a 421 also fails the rest of its connection's chunk, so count attempts, not rows.
        refusals = smtp_server.received // smtp_server.fail_every
        extra = workers.db.query("SELECT SUM(attempts - 1) FROM emails_digest")
        assert refusals >= COUNT // 5 - 1
        assert extra[0][0] >= refusals
        # One clock for the ledger: the workers', the hand-off included (not the database's).
        skewed = "SELECT COUNT(*) FROM emails_digest WHERE handed_off_at < claimed_at"
        assert workers.db.query(skewed)[0][0] == 0
        (run,) = workers.db.query("SELECT status, sent, due, retried FROM emails_nightlyrun")
        assert run[:3] == ("done", COUNT, COUNT)
        assert run[3] > 0


def test_the_server_going_away_for_a_while_delays_but_loses_nothing(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    outages = []

    def go_away(n: int) -> None:
        if n == 10 and not outages:
            outages.append(smtp_server.go_away(3.0))

    smtp_server.on_data = go_away
    with fault_workers(tmp_path, smtp_server) as workers:
        workers.setup(COUNT)
        workers.start(concurrency=2)
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        workers.wait_until(lambda: workers.settled(COUNT), lambda: None, timeout=300)
        assert outages
        assert workers.states() == {"sent": COUNT}
        assert_each_got_one(smtp_server, COUNT)
        errors = workers.db.query("SELECT COUNT(*) FROM emails_digest WHERE attempts > 1")
        assert errors[0][0] > 0  # some were refused during the outage and sent after it


def test_451_to_a_fifth_of_messages_costs_one_quick_retry_each(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    # Production's SEND_RETRY_SOON (2 s); a chunk backoff (SEND_RETRY_BACKOFF) longer than the
    # whole night should take: a refused message is retried on its own, soon, never by waiting
    # out the chunk's backoff.
    backoff = 120.0
    smtp_server.fail_every, smtp_server.fail_replies = 5, ["451 4.3.0 try again later"]
    with fault_workers(tmp_path, smtp_server) as workers:
        workers.env.update(
            FAULT_RETRY_SOON="2", FAULT_RETRY_BACKOFF=str(backoff), FAULT_RETRY_MAX_WAIT="1800"
        )
        workers.setup(COUNT)
        workers.start(concurrency=2)
        started = time.monotonic()
        workers.send("emails.tasks.run_nightly", workers.slot.isoformat())
        workers.wait_until(
            lambda: workers.settled(COUNT) and workers.runs_done() == 1, lambda: None, timeout=600
        )
        elapsed = time.monotonic() - started
        assert workers.states() == {"sent": COUNT}
        assert_each_got_one(smtp_server, COUNT)
        refusals = smtp_server.received // smtp_server.fail_every
        (extra,) = workers.db.query("SELECT SUM(attempts - 1) FROM emails_digest")[0]
        assert refusals >= COUNT // 5
        assert extra == refusals  # one retry per 451: no storm
        assert elapsed < backoff
        (run,) = workers.db.query("SELECT status, sent, due, retried FROM emails_nightlyrun")
        assert run == ("done", COUNT, COUNT, refusals)
