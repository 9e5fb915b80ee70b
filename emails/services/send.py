"""Send a chunk of recorded digests: claim, check, render from the ledger, hand off, record.

The ledger rules are in emails/services/ledger.py. The chunk goes in small batches: the batch
takes its tokens from the shared Redis bucket, then is claimed in one conditional UPDATE and
checked against the suppression list in one query, so a claimed row never waits on the
limiter and the per-message database work is the durable hand-off and the `sent` record.
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
from emails.services.digest import digest_email, recipient_for
from emails.services.suppression import normalise, record_delivery_event, suppressed_among
from emails.services.throttle import email_bucket
from emails.services.transport import Delivery, Outcome, Transport
from ranking.models import Paper


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0
    uncertain: int = 0
    retry: list[int] = field(default_factory=list)
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
    papers = warm_renderer(digests)
    transport = Transport()
    try:
        with ledger.relaxed_commits():
            _send_all(digests, transport, report, papers)
    finally:
        transport.close()
        report.connections = transport.opened
    return report


def _send_all(
    digests: list[Digest], transport: Transport, report: SendReport, papers: dict[int, Paper]
) -> None:
    size = claim_batch_size()
    bucket = None
    for start in range(0, len(digests), size):
        batch = [d for d in digests[start : start + size] if _receives(d, report)]
        try:
            bucket = bucket or email_bucket()
            bucket.take(len(batch))
        except redis.RedisError as exc:
            report.errors.append(f"rate limiter unavailable: {exc!r}")
            report.retry += [d.pk for d in digests[start:]]
            return
        if not _send_batch(batch, transport, report, papers):
            report.retry += [d.pk for d in digests[start + size :]]
            return


def claim_batch_size() -> int:
    """Rows claimed (and tokens taken) at a time: at most a second's worth of the rate."""
    return max(1, min(conf.claim_batch(), int(conf.rate_per_second())))


def _receives(digest: Digest, report: SendReport) -> bool:
    if digest.subscriber.receives_digests:
        return True
    if _skip(digest.pk, "unsubscribed or paused before sending"):
        report.skipped += 1
    return False


def _send_batch(
    batch: list[Digest], transport: Transport, report: SendReport, papers: dict[int, Paper]
) -> bool:
    """Claim, check and send a batch; False when the connection is lost (the batch's unsent
    claims are given back and retried with the rest of the chunk)."""
    claims = ledger.claim_digests([d.pk for d in batch])
    blocked = suppressed_among(d.subscriber.email for d in batch if d.pk in claims)
    unsent = dict(claims)
    try:
        for digest in batch:
            claim = unsent.pop(digest.pk, None)
            if claim is None:
                continue
            if normalise(digest.subscriber.email) in blocked:
                ledger.suppress_digest(digest.pk, "address suppressed")
                report.suppressed += 1
            elif not _send_one(digest, claim, transport, report, papers):
                report.retry += list(unsent)
                return False
    finally:
        if unsent:  # stopped early, or an error: the rest was never handed off
            ledger.unclaim(unsent)
    return True


def warm_renderer(digests: list[Digest]) -> dict[int, Paper]:
    """Load the chunk's papers once and inline them in a few premailer runs, not a few papers
    at a time; returns them for rendering."""
    paper_ids = {paper for digest in digests for paper in digest.paper_ids}
    sizes = {len(digest.items) for digest in digests if digest.items}
    papers = Paper.objects.in_bulk(list(paper_ids)) if paper_ids else {}
    if papers:
        default_renderer().warm(papers.values(), digest_sizes=sizes)
    return papers


def _send_one(
    digest: Digest, claim: int, transport: Transport, report: SendReport, papers: dict[int, Paper]
) -> bool:
    """Send one claimed digest; False when the connection is lost and the chunk should stop."""
    started = time.perf_counter()
    try:
        message = digest_email(digest, recipient_for(digest.subscriber), papers=papers)
    except Exception as exc:
        ledger.fail_digest(digest.pk, f"could not render: {exc!r}")
        report.failed += 1
        return True
    report.render_seconds += time.perf_counter() - started
    if message is None:
        _skip(digest.pk, "nothing to send")
        return True
    delivery = transport.send(message, lambda: ledger.mark_handed_off(digest.pk, claim))
    _record(digest, delivery, report)
    return not delivery.connection_lost


def _record(digest: Digest, delivery: Delivery, report: SendReport) -> None:
    if delivery.outcome is Outcome.SENT:
        ledger.mark_sent(digest.pk)
        report.sent += 1
    elif delivery.outcome is Outcome.RETRY:
        ledger.release_digest(digest.pk, delivery.detail)
        report.retry.append(digest.pk)
    elif delivery.outcome is Outcome.UNCERTAIN:
        ledger.mark_uncertain(digest.pk, delivery.detail)
        report.uncertain += 1
    elif delivery.outcome is Outcome.REJECTED:
        ledger.fail_digest(digest.pk, delivery.detail)
        report.failed += 1
        if delivery.recipient_refused:
            email = digest.subscriber.email
            event_id = f"smtp:{digest.message_id or digest.pk}"
            record_delivery_event(
                email, DeliveryEvent.Kind.REJECTED, event_id, source="smtp", detail=delivery.detail
            )
    if delivery.detail:
        report.errors.append(delivery.detail)


def _skip(digest_id: int, reason: str) -> bool:
    return (
        Digest.objects.filter(
            pk=digest_id, state__in=[Digest.State.PENDING, Digest.State.SENDING]
        ).update(state=Digest.State.SKIPPED, last_error=reason)
        == 1
    )


def record_send_report(run_id: int | None, report: SendReport) -> None:
    if run_id is None:
        return
    NightlyRun.objects.filter(pk=run_id).update(
        sent=F("sent") + report.sent,
        failed=F("failed") + report.failed,
        suppressed=F("suppressed") + report.suppressed,
        skipped=F("skipped") + report.skipped,
        uncertain=F("uncertain") + report.uncertain,
        render_seconds=F("render_seconds") + report.render_seconds,
    )
