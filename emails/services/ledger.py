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
4. A row stuck in `sending` longer than SEND_CLAIM_TIMEOUT belongs to a dead worker:
   `recover_stale_claims` returns it to `pending` if it was never handed off, else makes it
   `uncertain`.

On PostgreSQL only the hand-off is committed synchronously (it must be on disk before the data
goes out); the other writes of a send use `synchronous_commit = off`, which a database crash
can undo only in the safe direction: a lost claim is older than a durable hand-off (the WAL is
sequential), and a lost `sent` or `pending` leaves the row handed off, i.e. `uncertain`. The
hand-off is one round trip (one multi-statement query), because it is paid once per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from emails import conf
from emails.models import Digest

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
        f"attempts = attempts + 1 WHERE id IN ({marks}) AND state = %s RETURNING id, attempts"
    )
    params: list[Any] = [Digest.State.SENDING, timezone.now(), *digest_ids, Digest.State.PENDING]
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
    return _advance(digest_id, Digest.State.FAILED, last_error=error[:MAX_ERROR])


def mark_uncertain(digest_id: int, error: str) -> bool:
    return _advance(digest_id, Digest.State.UNCERTAIN, last_error=error[:MAX_ERROR])


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
    return Digest.objects.filter(pk__in=list(digest_ids), state=Digest.State.PENDING).update(
        state=Digest.State.FAILED, last_error=reason[:MAX_ERROR]
    )


def recover_stale_claims() -> tuple[list[int], int]:
    """Resolve rows whose worker died mid-send (rule 4): (ids back to pending, n uncertain)."""
    cutoff = timezone.now() - conf.claim_timeout()
    stale = Digest.objects.filter(state=Digest.State.SENDING, claimed_at__lt=cutoff)
    uncertain = stale.filter(handed_off_at__isnull=False).update(
        state=Digest.State.UNCERTAIN,
        last_error="worker lost after handing the message to the server; not re-sent",
    )
    never_sent = list(stale.filter(handed_off_at__isnull=True).values_list("pk", flat=True))
    Digest.objects.filter(pk__in=never_sent, state=Digest.State.SENDING).filter(
        claimed_at__lt=cutoff, handed_off_at__isnull=True
    ).update(
        state=Digest.State.PENDING,
        claimed_at=None,
        last_error="worker lost before handing the message to the server; will re-send",
    )
    return never_sent, uncertain


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
        state=Digest.State.PENDING, claimed_at=None, handed_off_at=None
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
    return rows.update(
        state=Digest.State.FAILED,
        last_error=f"expired: still unsent on {today:%Y-%m-%d}, "
        f"more than {max_late.days} days after its date (SEND_MAX_LATE_DAYS)",
    )


def pending_digest_ids(created_before: datetime | None = None) -> list[int]:
    """Rows still to send, whatever their date (what a recovery sweep re-enqueues)."""
    rows = Digest.objects.filter(state=Digest.State.PENDING)
    if created_before is not None:
        rows = rows.filter(created_at__lt=created_before)
    return list(rows.order_by("pk").values_list("pk", flat=True))
