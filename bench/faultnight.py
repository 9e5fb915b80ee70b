"""What one fault scenario's night did: the database (ledger and NightlyRun row, read with
psycopg: the benchmark process never starts Django) and the SMTP sink, and what that adds up to
(bench/faults.py's RESULT line).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from celery import Celery
from faultsink import FaultSink, Received
from faultstack import Stack, pg_url

FINAL = ("sent", "failed", "suppressed", "skipped", "uncertain")


@dataclass
class Night:
    """One scenario's night: what to watch, and what happened when (monotonic seconds)."""

    name: str
    stack: Stack
    sink: FaultSink
    db_url: str
    slot: datetime
    due: set[str]
    started: float = 0.0
    fault: float | None = None
    timers: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def enqueue(self) -> None:
        app = Celery("faults", broker=self.stack.broker_url)
        app.send_task("emails.tasks.run_nightly", args=(self.slot.isoformat(),))
        app.close()

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        self.timers.append((time.monotonic() + seconds, action))

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(pg_url(self.db_url), autocommit=True) as db:
            cursor = db.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def ledger(self) -> Counter[str]:
        rows = self.query(
            "SELECT state, COUNT(*) FROM emails_digest WHERE digest_date = %s GROUP BY state",
            self.slot.date(),
        )
        return Counter({state: int(n) for state, n in rows})

    def run(self) -> dict[str, Any] | None:
        columns = ("status", "due", "chunks", "chunks_done", *FINAL, "retried")
        rows = self.query(
            f"SELECT {', '.join(columns)} FROM emails_nightlyrun WHERE slot = %s",  # noqa: S608
            self.slot,
        )
        return dict(zip(columns, rows[0], strict=True)) if rows else None

    def settled(self) -> bool:
        ledger = self.ledger()
        final = sum(ledger[state] for state in FINAL)
        run = self.run()
        return final == len(self.due) and run is not None and run["status"] == "done"


@dataclass
class Outcome:
    delivered_once: int
    lost: int
    duplicates: int
    recovery_s: float | None
    last_s: float | None
    problems: list[str]


def outcome(night: Night, received: list[Received]) -> Outcome:
    per_recipient = Counter(r for _, recipients, _ in received for r in recipients)
    strangers = set(per_recipient) - night.due
    problems = [f"{len(strangers)} recipients not due"] if strangers else []
    problems += check_counters(night, received)
    times = [t for t, recipients, _ in received if night.due & set(recipients)]
    last = max(times, default=None)
    lost = sum(1 for r in night.due if per_recipient[r] == 0)
    origin = night.fault if night.fault is not None else night.started
    return Outcome(
        delivered_once=sum(1 for r in night.due if per_recipient[r] == 1),
        lost=lost,
        duplicates=sum(1 for r in night.due if per_recipient[r] > 1),
        recovery_s=None if lost or last is None else last - origin,
        last_s=None if last is None else last - night.started,
        problems=problems,
    )


def check_counters(night: Night, received: list[Received]) -> list[str]:
    """Why the run's counters do not add up or disagree with the ledger or the sink."""
    run, ledger = night.run(), night.ledger()
    if run is None:
        return ["no NightlyRun row"]
    problems = []
    if run["status"] != "done":
        problems.append(f"run {run['status']}")
    if run["due"] != len(night.due):
        problems.append(f"run.due {run['due']} != {len(night.due)}")
    if sum(run[state] for state in FINAL) != len(night.due):
        problems.append(f"sent+failed+suppressed+skipped+uncertain {sum(run[s] for s in FINAL)}")
    if run["chunks_done"] > run["chunks"]:
        problems.append(f"chunks_done {run['chunks_done']} > chunks {run['chunks']}")
    problems += [
        f"run.{state} {run[state]} != ledger {ledger[state]}"
        for state in FINAL
        if run[state] != ledger[state]
    ]
    if ledger["pending"] + ledger["sending"]:
        problems.append(f"ledger pending {ledger['pending']} sending {ledger['sending']}")
    return problems + check_sink(night, received)


def check_sink(night: Night, received: list[Received]) -> list[str]:
    rows = night.query(
        "SELECT LOWER(s.email), d.state, d.message_id FROM emails_digest d "
        "JOIN subscriptions_subscriber s ON s.id = d.subscriber_id WHERE d.digest_date = %s",
        night.slot.date(),
    )
    state = {email: row_state for email, row_state, _ in rows}
    message_id = {email: mid.strip("<>") for email, _, mid in rows}
    arrived: dict[str, set[str]] = {}
    for _, recipients, mid in received:
        for recipient in recipients:
            arrived.setdefault(recipient, set()).add(mid.strip("<>"))
    problems = []
    missing = [e for e, s in state.items() if s == "sent" and e not in arrived]
    if missing:
        problems.append(f"{len(missing)} sent rows never reached the sink")
    unexpected = [e for e in arrived if state.get(e) not in ("sent", "uncertain")]
    if unexpected:
        problems.append(f"{len(unexpected)} reached the sink for rows not sent/uncertain")
    foreign = [e for e, ids in arrived.items() if e in message_id and ids != {message_id[e]}]
    if foreign:
        problems.append(f"{len(foreign)} recipients got a Message-ID not their digest's")
    return problems
