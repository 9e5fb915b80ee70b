"""The delivery ledger: every state change of a Digest row is a conditional UPDATE.

The exactly-once rule:

1. A worker claims rows with `pending -> sending` (sets claimed_at, attempts += 1) in one
   conditional UPDATE for a small batch; it owns exactly the rows that UPDATE changed, so two
   workers (a redelivered task, a second run) never both own one. The row's new `attempts` is
   the claim: later writes of that send check it, so a claim the recovery sweep took back
   (rule 4) and another worker re-claimed can no longer hand anything off.
2. Just before the message data goes to the server (after MAIL FROM and RCPT TO were accepted)
   the worker commits `handed_off_at`. A failure before that point certainly sent nothing: the
   row goes back to `pending` (transient) or to `failed` (permanent); claimed rows a chunk
   stops before reaching go back to `pending` as if never claimed.
3. The server's reply to the data is recorded at once: 250 -> `sent`; 4xx -> `pending` for a
   retry; 5xx -> `failed` and the address suppressed. No reply (timeout, reset, worker killed)
   after the hand-off is the one ambiguous case: the row becomes `uncertain` and is never sent
   again automatically (an operator may re-send it from admin, accepting a possible duplicate).
4. A running send task holds its rows with a lease (`lease_expires_at`, SEND_LEASE_SECONDS),
   taken when it starts and with every claim, and renewed every third of the lease while it
   works. A `sending` row whose lease ran out belongs to a dead (or hung) worker:
   `recover_stale_claims` returns it to `pending` if it was never handed off, else makes it
   `uncertain`; either way the old claim can no longer hand anything off (rule 1). A `pending`
   row whose lease ran out and that no queued task holds (`queued_at` older than
   SEND_QUEUE_TIMEOUT, or older than the Redis that held its queue message) is an orphan the
   recovery sweep enqueues again (`orphaned_pending`); a spare task for a row sends nothing
   twice, by rule 1.

On PostgreSQL only the hand-off is committed synchronously (it must be on disk before the data
goes out); the other writes of a send use `synchronous_commit = off`, which a database crash
can undo only in the safe direction: a lost claim is older than a durable hand-off (the WAL is
sequential), and a lost `sent` or `pending` leaves the row handed off, i.e. `uncertain`. The
hand-off is one round trip (one multi-statement query), because it is paid once per message.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from emails import conf
from emails.models import Digest

logger = logging.getLogger(__name__)
# An SMTP reply often quotes the recipient ("550 5.1.1 <ada@example.org>: unknown"); log lines
# name subscribers by id only (docs/operations.md, "Outside the database").
ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")

MAX_ERROR = 2000
TERMINAL = (
    Digest.State.SENT,
    Digest.State.FAILED,
    Digest.State.SUPPRESSED,
    Digest.State.SKIPPED,
    Digest.State.UNCERTAIN,
)


def claim_digest(digest_id: int) -> bool:
    """Take a pending row for sending; False when another worker has it or it is done."""
    return digest_id in claim_digests([digest_id])


def claim_digests(digest_ids: Sequence[int]) -> dict[int, int]:
    """Take the pending rows among `digest_ids` in one conditional UPDATE: {id: claim} of the
    rows won (the claim is the row's new `attempts`, checked at hand-off; rule 1)."""
    if not digest_ids:
        return {}
    table = connection.ops.quote_name(Digest._meta.db_table)
    marks = ", ".join(["%s"] * len(digest_ids))
    sql = (
        f"UPDATE {table} SET state = %s, claimed_at = %s, handed_off_at = NULL, "  # noqa: S608 - names are ours
        f"lease_expires_at = %s, attempts = attempts + 1 "
        f"WHERE id IN ({marks}) AND state = %s RETURNING id, attempts"
    )
    now = timezone.now()
    params: list[Any] = [Digest.State.SENDING, now, now + conf.lease()]
    params += [*digest_ids, Digest.State.PENDING]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(pk): int(attempts) for pk, attempts in cursor.fetchall()}


def unclaim(claims: Mapping[int, int]) -> int:
    """Give back claimed rows that were never handed off, as if never claimed (a chunk that
    stops early: the connection is lost, the limiter is away)."""
    undone = 0
    for digest_id, claim in claims.items():
        undone += Digest.objects.filter(
            pk=digest_id, state=Digest.State.SENDING, attempts=claim, handed_off_at__isnull=True
        ).update(state=Digest.State.PENDING, claimed_at=None, attempts=F("attempts") - 1)
    return undone


def _advance(digest_id: int, to: str, **fields: object) -> bool:
    changed = Digest.objects.filter(pk=digest_id, state=Digest.State.SENDING).update(
        state=to, **fields
    )
    return changed == 1


def mark_handed_off(digest_id: int, claim: int | None = None) -> bool:
    """Commit, durably, that the data is about to go to the server (rule 2); False when the
    row is no longer ours (`claim`: the `attempts` our claim set)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _hand_off_in_one_round_trip(int(digest_id), None if claim is None else int(claim))
    rows = Digest.objects.filter(pk=digest_id, state=Digest.State.SENDING, handed_off_at=None)
    if claim is not None:
        rows = rows.filter(attempts=claim)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO ON")
        changed = rows.update(handed_off_at=timezone.now())
    return changed == 1


def _hand_off_in_one_round_trip(digest_id: int, claim: int | None) -> bool:
    """BEGIN; SET LOCAL synchronous_commit; UPDATE; COMMIT as one simple query (no parameters:
    only integers, formatted by int(), and our own clock's time go into the text). The time is
    the worker's, as for every other ledger timestamp, not the database server's."""
    table = connection.ops.quote_name(Digest._meta.db_table)
    mine = "" if claim is None else f" AND attempts = {claim:d}"
    now = f"'{timezone.now().astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}+00'"
    sql = (
        "BEGIN; SET LOCAL synchronous_commit TO ON; "  # noqa: S608 - integers and a time only
        f"UPDATE {table} SET handed_off_at = {now} WHERE id = {digest_id:d} "
        f"AND state = 'sending' AND handed_off_at IS NULL{mine} RETURNING id; COMMIT"
    )
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None  # noqa: S101 - ensure_connection raises otherwise
    try:
        with connection.wrap_database_errors, raw.cursor() as cursor:
            cursor.execute(sql)  # every statement has run when this returns
            while cursor.description is None:  # BEGIN, SET: no rows; the UPDATE has some
                if not cursor.nextset():
                    return False
            return cursor.fetchone() is not None
    except Exception:
        connection.close()  # never reuse a connection that may be inside a failed BEGIN
        raise


@contextmanager
def relaxed_commits() -> Iterator[None]:
    """Asynchronous commits for the other ledger writes of a send (see the module docstring)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO DEFAULT")
        except DatabaseError:
            connection.close()  # a broken connection is not reused with the setting


def mark_sent(digest_id: int) -> bool:
    return _advance(digest_id, Digest.State.SENT, sent_at=timezone.now(), last_error="")


def release_digest(digest_id: int, error: str) -> bool:
    """Certainly not sent, worth another try: back to pending."""
    return _advance(
        digest_id,
        Digest.State.PENDING,
        claimed_at=None,
        handed_off_at=None,
        last_error=error[:MAX_ERROR],
    )


def fail_digest(digest_id: int, error: str) -> bool:
    done = _advance(digest_id, Digest.State.FAILED, last_error=error[:MAX_ERROR])
    if done:
        log_problems([digest_id], Digest.State.FAILED, error)
    return done


def mark_uncertain(digest_id: int, error: str) -> bool:
    done = _advance(digest_id, Digest.State.UNCERTAIN, last_error=error[:MAX_ERROR])
    if done:
        log_problems([digest_id], Digest.State.UNCERTAIN, error)
    return done


def log_problems(digest_ids: Sequence[int], state: str, reason: str) -> None:
    """One warning per digest that needs an operator (failed or uncertain): its id, its
    subscriber's id and the reason, never the address."""
    if not digest_ids:
        return
    rows = Digest.objects.filter(pk__in=list(digest_ids), state=state)
    owners = rows.values_list("pk", "subscriber_id")
    for digest_id, subscriber_id in owners.order_by("pk"):
        logger.warning(
            "digest %s of subscriber %s is %s: %s",
            digest_id,
            subscriber_id,
            state,
            ADDRESS.sub("<address>", reason)[:300],
        )


def suppress_digest(digest_id: int, reason: str) -> bool:
    """A pending or claimed row whose address is suppressed: never sent."""
    changed = Digest.objects.filter(
        pk=digest_id, state__in=[Digest.State.PENDING, Digest.State.SENDING]
    ).update(state=Digest.State.SUPPRESSED, last_error=reason[:MAX_ERROR])
    return changed == 1


def suppress_digests(digest_ids: Sequence[int], reason: str) -> int:
    """`suppress_digest` for many rows in one UPDATE; how many it changed."""
    if not digest_ids:
        return 0
    return Digest.objects.filter(
        pk__in=list(digest_ids), state__in=[Digest.State.PENDING, Digest.State.SENDING]
    ).update(state=Digest.State.SUPPRESSED, last_error=reason[:MAX_ERROR])


def give_up(digest_ids: Iterable[int], reason: str) -> int:
    """Pending rows that ran out of transient retries."""
    rows = Digest.objects.filter(pk__in=list(digest_ids), state=Digest.State.PENDING)
    ids = list(rows.values_list("pk", flat=True))
    failed = Digest.objects.filter(pk__in=ids, state=Digest.State.PENDING).update(
        state=Digest.State.FAILED, last_error=reason[:MAX_ERROR]
    )
    log_problems(ids, Digest.State.FAILED, reason)
    return failed


def _lease_expired(now: datetime) -> Q:
    # Rows claimed before leases existed carry none: their claim time stands in.
    unleased = Q(lease_expires_at__isnull=True, claimed_at__lt=now - conf.lease())
    return Q(lease_expires_at__lt=now) | unleased


def recover_stale_claims() -> tuple[list[int], int]:
    """Resolve rows whose worker died mid-send (rule 4): (ids back to pending, n uncertain)."""
    now = timezone.now()
    stale = Digest.objects.filter(_lease_expired(now), state=Digest.State.SENDING)
    lost = list(stale.filter(handed_off_at__isnull=False).values_list("pk", flat=True))
    reason = "worker lost after handing the message to the server; not re-sent"
    uncertain = Digest.objects.filter(
        _lease_expired(now), pk__in=lost, state=Digest.State.SENDING
    ).update(state=Digest.State.UNCERTAIN, last_error=reason)
    log_problems(lost, Digest.State.UNCERTAIN, reason)
    never_sent = list(stale.filter(handed_off_at__isnull=True).values_list("pk", flat=True))
    still = Digest.objects.filter(_lease_expired(now), pk__in=never_sent)
    still.filter(state=Digest.State.SENDING, handed_off_at__isnull=True).update(
        state=Digest.State.PENDING,
        claimed_at=None,
        lease_expires_at=None,
        queued_at=None,
        last_error="worker lost before handing the message to the server; will re-send",
    )
    return never_sent, uncertain


def orphaned_pending(queue_started: datetime | None = None) -> list[int]:
    """Pending rows nobody holds (rule 4): no live lease, and no queued task that may still
    come: never queued, queued more than SEND_QUEUE_TIMEOUT ago, or queued before
    `queue_started` (the Redis holding the queue started afresh since)."""
    now = timezone.now()
    stale_queue = Q(queued_at__isnull=True) | Q(queued_at__lt=now - conf.queue_timeout())
    if queue_started is not None:
        stale_queue |= Q(queued_at__lt=queue_started)
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    rows = Digest.objects.filter(free, stale_queue, state=Digest.State.PENDING)
    return list(rows.order_by("pk").values_list("pk", flat=True))


def mark_queued(digest_ids: Sequence[int], countdown: float = 0.0) -> int:
    """Record that a send task for these pending rows was enqueued (to start after
    `countdown` seconds): the sweep leaves them to it for SEND_QUEUE_TIMEOUT."""
    if not digest_ids:
        return 0
    at = timezone.now() + timedelta(seconds=countdown)
    return Digest.objects.filter(pk__in=list(digest_ids), state=Digest.State.PENDING).update(
        queued_at=at
    )


def hold_received(digest_ids: Sequence[int], start: datetime) -> int:
    """A worker has taken the message of a send task for these rows (to run it now, or at
    `start` for a countdown): they are held by a lease from `start`, no longer by the queue,
    so if that worker dies before running it they are free when the lease runs out (the
    message itself waits, unacknowledged, for Redis's visibility timeout)."""
    rows = Digest.objects.filter(state=Digest.State.PENDING, pk__in=list(digest_ids))
    return rows.update(lease_expires_at=start + conf.lease(), queued_at=None)


class Lease:
    """A running send task's hold on its digests (rule 4): the pending ones it was given and
    the ones it has claimed, renewed every third of SEND_LEASE_SECONDS while it works."""

    def __init__(self, digest_ids: Sequence[int]) -> None:
        self.digest_ids = list(digest_ids)
        self.claimed: set[int] = set()
        self.renewed = timezone.now()
        # Its queue message is taken: from now on the lease alone says someone has the rows,
        # so they are free again as soon as it runs out if this task dies.
        Digest.objects.filter(state=Digest.State.PENDING, pk__in=self.digest_ids).update(
            lease_expires_at=self.renewed + conf.lease(), queued_at=None
        )

    def renew(self) -> None:
        mine = Q(state=Digest.State.PENDING, pk__in=self.digest_ids)
        if self.claimed:
            mine |= Q(state=Digest.State.SENDING, pk__in=sorted(self.claimed))
        self.renewed = timezone.now()
        Digest.objects.filter(mine).update(lease_expires_at=self.renewed + conf.lease())

    def keep(self) -> None:
        """Renew when a third of the lease has passed since the last renewal."""
        if timezone.now() - self.renewed >= conf.lease() / 3:
            self.renew()

    def hold(self, claims: Iterable[int]) -> None:
        """Rows this task has just claimed (the claim took their lease)."""
        self.claimed.update(claims)


def run_has_unsent(run_id: int) -> bool:
    """Whether any of a run's digests is still pending or sending."""
    unsent = [Digest.State.PENDING, Digest.State.SENDING]
    return Digest.objects.filter(nightly_run_id=run_id, state__in=unsent).exists()


def run_counts(run_id: int) -> Counter[str]:
    """How many of a run's digests are in each state."""
    rows = Digest.objects.filter(nightly_run_id=run_id).values("state").order_by()
    return Counter({row["state"]: row["n"] for row in rows.annotate(n=Count("pk"))})


def retry_failed(digest_ids: Iterable[int], *, include_uncertain: bool = False) -> list[int]:
    """Operator action: failed (and optionally uncertain) rows back to pending."""
    states = [Digest.State.FAILED]
    if include_uncertain:
        states.append(Digest.State.UNCERTAIN)
    ids = list(
        Digest.objects.filter(pk__in=list(digest_ids), state__in=states).values_list(
            "pk", flat=True
        )
    )
    Digest.objects.filter(pk__in=ids, state__in=states).update(
        state=Digest.State.PENDING,
        claimed_at=None,
        handed_off_at=None,
        lease_expires_at=None,
        queued_at=None,
    )
    return ids


def expire_unsent(today: date, max_late: timedelta) -> int:
    """Give up pending rows dated more than `max_late` before `today` that were never tried:
    their night's tasks were lost and nothing sent them in time. They become `failed` with the
    reason (a digest days late is stale news; the admin's retry action still sends one). Rows
    already tried, e.g. put back by an operator, are left to their retries."""
    rows = Digest.objects.filter(
        state=Digest.State.PENDING, digest_date__lt=today - max_late, attempts=0
    )
    ids = list(rows.values_list("pk", flat=True))
    reason = (
        f"expired: still unsent on {today:%Y-%m-%d}, "
        f"more than {max_late.days} days after its date (SEND_MAX_LATE_DAYS)"
    )
    expired = rows.filter(pk__in=ids).update(state=Digest.State.FAILED, last_error=reason)
    log_problems(ids, Digest.State.FAILED, reason)
    return expired


def pending_digest_ids(created_before: datetime | None = None) -> list[int]:
    """Rows still to send, whatever their date (what a recovery sweep re-enqueues)."""
    rows = Digest.objects.filter(state=Digest.State.PENDING)
    if created_before is not None:
        rows = rows.filter(created_at__lt=created_before)
    return list(rows.order_by("pk").values_list("pk", flat=True))
