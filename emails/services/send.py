"""Send a chunk of recorded digests: claim, check, render from the ledger, hand off, record.

The ledger rules are in emails/services/ledger.py. The chunk goes in small batches: the batch
takes its tokens from the shared Redis bucket, then is claimed in one conditional UPDATE and
checked against the suppression list in one query, so a claimed row never waits on the
limiter and the per-message database work is the durable hand-off and the `sent` record.
While it works the chunk renews its lease on its rows (ledger rule 4), so a dead worker's rows
are found by the recovery sweep within SEND_LEASE_SECONDS.

What is not sent now is left `pending` and reported, for the task to enqueue again: a message
refused with a 4xx on its own soon (emails/services/backoff.py), messages to a paused domain
when the pause ends, and the rest of the chunk after the chunk's backoff when the server cannot
be reached (two connections lost in a row) or the limiter is away.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis
from django.db.models import F

from emails import conf
from emails.models import DeliveryEvent, DeliverySwitch, Digest, NightlyRun
from emails.render import default_renderer
from emails.services import ledger
from emails.services.backoff import DomainBackoff, domain_of
from emails.services.digest import digest_email, recipient_for
from emails.services.suppression import normalise, record_delivery_event, suppressed_among
from emails.services.throttle import TokenBucket, email_bucket
from emails.services.transport import Delivery, Outcome, Transport
from ranking.models import Paper


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0
    uncertain: int = 0
    # Every row left pending to try again; of those, `refused` were refused with a 4xx on
    # their own ({id: attempts so far}) and `deferred` wait for their domain's pause
    # ({id: seconds left}); `stopped` says the chunk stopped for connection trouble.
    retry: list[int] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    deferred: dict[int, float] = field(default_factory=dict)
    stopped: bool = False
    paused: bool = False
    render_seconds: float = 0.0
    connections: int = 0
    errors: list[str] = field(default_factory=list)


def sending_paused() -> bool:
    return DeliverySwitch.objects.filter(pk=1, paused=True).exists()


def set_sending_paused(paused: bool, by: str = "") -> None:
    DeliverySwitch.objects.update_or_create(pk=1, defaults={"paused": paused, "changed_by": by})


def send_digests(digest_ids: Sequence[int]) -> SendReport:
    """Send those of `digest_ids` that are pending; report what happened to each.

    Idempotent: only rows won by `ledger.claim_digests` are sent, so running it twice (or in two
    workers at once) sends each digest once. Rows to retry are back in `pending`.
    """
    report = SendReport()
    if sending_paused():
        report.paused = True
        return report
    digests = list(
        Digest.objects.filter(pk__in=list(digest_ids), state=Digest.State.PENDING)
        .select_related("subscriber")
        .prefetch_related("subscriber__topics")
        .order_by("pk")
    )
    if not digests:
        return report
    chunk = _Chunk(report, ledger.Lease([d.pk for d in digests]))
    chunk.papers = warm_renderer(digests)
    try:
        with ledger.relaxed_commits():
            chunk.send_all(digests)
    finally:
        chunk.transport.close()
        report.connections = chunk.transport.opened
    return report


class _Chunk:
    """One send task's state: its connection, lease, limiter and view of refusing domains."""

    def __init__(self, report: SendReport, lease: ledger.Lease) -> None:
        self.report = report
        self.lease = lease
        self.papers: dict[int, Paper] = {}
        self.transport = Transport()
        self.backoff = DomainBackoff()
        self.bucket: TokenBucket | None = None
        # Connections lost since the server last took a message: the first is retried on a new
        # connection at once, the second stops the chunk (the server is away, not one socket).
        self.losses = 0
        self.pauses: dict[str, float] = {}  # domains this task paused: {domain: seconds}

    def send_all(self, digests: list[Digest]) -> None:
        size = claim_batch_size()
        for start in range(0, len(digests), size):
            self.lease.keep()
            batch = self._sendable(digests[start : start + size])
            try:
                self.bucket = self.bucket or email_bucket()
                self.bucket.take(len(batch))
            except redis.RedisError as exc:
                self.report.errors.append(f"rate limiter unavailable: {exc!r}")
                self._stop([d.pk for d in digests[start:]])
                return
            if not self._send_batch(batch):
                self._stop([d.pk for d in digests[start + size :]])
                return

    def _stop(self, rest: list[int]) -> None:
        self.report.stopped = True
        self.report.retry += [pk for pk in rest if pk not in self.report.deferred]

    def _sendable(self, batch: list[Digest]) -> list[Digest]:
        """The batch without those who no longer receive digests and those whose domain is
        paused (left pending, unclaimed, until the pause ends)."""
        receiving = [d for d in batch if _receives(d, self.report)]
        paused = self.backoff.paused(domain_of(d.subscriber.email) for d in receiving)
        for digest in receiving:
            left = paused.get(domain_of(digest.subscriber.email))
            if left is not None:
                self._defer(digest.pk, left)
        return [d for d in receiving if d.pk not in self.report.deferred]

    def _defer(self, digest_id: int, seconds: float) -> None:
        self.report.deferred[digest_id] = seconds
        self.report.retry.append(digest_id)

    def _send_batch(self, batch: list[Digest]) -> bool:
        """Claim, check and send a batch; False when the connection is lost twice in a row
        (the batch's unsent claims are given back and retried with the rest of the chunk)."""
        claims = ledger.claim_digests([d.pk for d in batch])
        self.lease.hold(claims)
        blocked = suppressed_among(d.subscriber.email for d in batch if d.pk in claims)
        unsent = dict(claims)
        try:
            for digest in batch:
                claim = unsent.get(digest.pk)
                if claim is None:
                    continue
                self.lease.keep()
                pause = self.pauses.get(domain_of(digest.subscriber.email))
                if pause is not None:  # paused by this batch: given back below, unclaimed
                    self._defer(digest.pk, pause)
                    continue
                del unsent[digest.pk]
                if normalise(digest.subscriber.email) in blocked:
                    ledger.suppress_digest(digest.pk, "address suppressed")
                    self.report.suppressed += 1
                elif not self._send_one(digest, claim):
                    self.report.retry += [pk for pk in unsent if pk not in self.report.deferred]
                    return False
        finally:
            if unsent:  # stopped early, deferred, or an error: never handed off
                ledger.unclaim(unsent)
        return True

    def _send_one(self, digest: Digest, claim: int) -> bool:
        """Send one claimed digest; False when the chunk should stop."""
        started = time.perf_counter()
        try:
            message = digest_email(digest, recipient_for(digest.subscriber), papers=self.papers)
        except Exception as exc:
            ledger.fail_digest(digest.pk, f"could not render: {exc!r}")
            self.report.failed += 1
            return True
        self.report.render_seconds += time.perf_counter() - started
        if message is None:
            _skip(digest.pk, "nothing to send")
            return True
        delivery = self.transport.send(message, lambda: ledger.mark_handed_off(digest.pk, claim))
        self._record(digest, claim, delivery)
        if not delivery.connection_lost:
            self.losses = 0
            return True
        self.losses += 1
        return self.losses < 2

    def _record(self, digest: Digest, claim: int, delivery: Delivery) -> None:
        report, domain = self.report, domain_of(digest.subscriber.email)
        if delivery.outcome is Outcome.SENT:
            ledger.mark_sent(digest.pk)
            self.backoff.accepted(domain)
            report.sent += 1
        elif delivery.outcome is Outcome.RETRY:
            ledger.release_digest(digest.pk, delivery.detail)
            report.retry.append(digest.pk)
            report.refused[digest.pk] = claim
            pause = self.backoff.refused(domain)
            if pause:
                self.pauses[domain] = pause
        elif delivery.outcome is Outcome.UNCERTAIN:
            ledger.mark_uncertain(digest.pk, delivery.detail)
            report.uncertain += 1
        elif delivery.outcome is Outcome.REJECTED:
            ledger.fail_digest(digest.pk, delivery.detail)
            report.failed += 1
            if delivery.recipient_refused:
                event_id = f"smtp:{digest.message_id or digest.pk}"
                record_delivery_event(
                    digest.subscriber.email,
                    DeliveryEvent.Kind.REJECTED,
                    event_id,
                    source="smtp",
                    detail=delivery.detail,
                )
        if delivery.detail:
            report.errors.append(delivery.detail)


def claim_batch_size() -> int:
    """Rows claimed (and tokens taken) at a time: at most a second's worth of the rate."""
    return max(1, min(conf.claim_batch(), int(conf.rate_per_second())))


def _receives(digest: Digest, report: SendReport) -> bool:
    if digest.subscriber.receives_digests:
        return True
    if _skip(digest.pk, "unsubscribed or paused before sending"):
        report.skipped += 1
    return False


def warm_renderer(digests: list[Digest]) -> dict[int, Paper]:
    """Load the chunk's papers once and inline them in a few premailer runs, not a few papers
    at a time; returns them for rendering."""
    paper_ids = {paper for digest in digests for paper in digest.paper_ids}
    sizes = {len(digest.items) for digest in digests if digest.items}
    papers = Paper.objects.in_bulk(list(paper_ids)) if paper_ids else {}
    if papers:
        default_renderer().warm(papers.values(), digest_sizes=sizes)
    return papers


def _skip(digest_id: int, reason: str) -> bool:
    return (
        Digest.objects.filter(
            pk=digest_id, state__in=[Digest.State.PENDING, Digest.State.SENDING]
        ).update(state=Digest.State.SKIPPED, last_error=reason)
        == 1
    )


def record_send_report(run_id: int | None, report: SendReport, requeued: int = 0) -> None:
    """Add a send task's effort to its run: render time and the rows it enqueued again. Its
    outcomes are counted from the ledger instead (nightly.settle_run)."""
    if run_id is None:
        return
    NightlyRun.objects.filter(pk=run_id).update(
        render_seconds=F("render_seconds") + report.render_seconds,
        retried=F("retried") + requeued,
    )
