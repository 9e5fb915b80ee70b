"""Which clicks on a digest's links count toward public trending.

Every click is recorded (and always redirects: see emails/views.py). One counts only
when it looks like a person reading the email: not seconds after delivery (mail scanners open
every link as the message arrives), not in a burst of clicks on one digest (scanners, scripts,
a reload loop), and only the subscriber's first counted click on a paper (one reader, one
vote, however many times the link is opened). Trending (ranking/services/trending.py) reads
`counted` rows only, through `counted_clicks`, and still counts distinct subscribers, so a race
here can never count one reader twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from emails import conf
from emails.models import Digest, LinkEvent
from emails.services.feedback import MAX_USER_AGENT
from ranking.models import Paper

Reason = LinkEvent.Reason


def click_reason(
    at: datetime,
    delivered_at: datetime | None,
    clicks_in_burst_window: int,
    already_counted: bool,
) -> str:
    """Why a click at `at` does not count ("" when it does).

    `delivered_at` is when the message left us: the server's acceptance (`sent_at`), else the
    hand-off just before it (a digest still 'sending' or 'uncertain' may already be in the
    inbox); None for one never handed over. `clicks_in_burst_window` includes this click.
    """
    if delivered_at is not None and at < delivered_at + conf.click_delivery_window():
        return Reason.AT_DELIVERY
    if clicks_in_burst_window >= conf.click_burst_size():
        return Reason.BURST
    if already_counted:
        return Reason.REPEAT
    return Reason.NONE


def record_click(digest: Digest, paper: Paper, user_agent: str = "") -> LinkEvent:
    """Record a click on `paper` in `digest`, counted or with the reason it is not.

    A click that completes a burst also un-counts the burst's earlier clicks: the first link a
    scanner opens looks like any reader's until the next ones arrive.
    """
    with transaction.atomic():
        # One digest's clicks are decided one at a time (a row lock on PostgreSQL), so a
        # scanner opening every link at once sees its own earlier clicks as a burst.
        locked = Digest.objects.select_for_update().filter(pk=digest.pk)
        sent_at, handed_off_at = locked.values_list("sent_at", "handed_off_at").get()
        now = timezone.now()
        burst = _recent_clicks(digest, now - conf.click_burst_window())
        reason = click_reason(
            now,
            sent_at or handed_off_at,
            burst.count() + 1,
            already_counted=_counted_before(digest, paper),
        )
        if reason == Reason.BURST:
            burst.exclude(reason=Reason.AT_DELIVERY).update(counted=False, reason=Reason.BURST)
        return LinkEvent.objects.create(
            digest=digest,
            paper=paper,
            kind=LinkEvent.Kind.CLICK,
            user_agent=user_agent[:MAX_USER_AGENT],
            counted=reason == Reason.NONE,
            reason=reason,
        )


def counted_clicks(paper_ids: Sequence[int], before: datetime) -> dict[int, int]:
    """Per paper, how many distinct subscribers clicked it in a digest before `before` with a
    click that counts: ranking's trending signal asks this (ranking/hooks.py)."""
    if not paper_ids:
        return {}
    counted = LinkEvent.objects.filter(
        kind=LinkEvent.Kind.CLICK, counted=True, created_at__lt=before, paper_id__in=paper_ids
    )
    # Distinct subscribers, not rows: one reader is one click whatever slipped past the writer.
    rows = counted.values("paper_id").annotate(n=Count("digest__subscriber", distinct=True))
    return {row["paper_id"]: row["n"] for row in rows}


def _recent_clicks(digest: Digest, since: datetime) -> QuerySet[LinkEvent]:
    return LinkEvent.objects.filter(digest=digest, kind=LinkEvent.Kind.CLICK, created_at__gte=since)


def _counted_before(digest: Digest, paper: Paper) -> bool:
    return LinkEvent.objects.filter(
        digest__subscriber_id=digest.subscriber_id,
        paper=paper,
        kind=LinkEvent.Kind.CLICK,
        counted=True,
    ).exists()
