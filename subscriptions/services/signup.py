"""Sign-up, double opt-in, fresh links and the purge of sign-ups never confirmed."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from subscriptions import conf
from subscriptions.hooks import hooks
from subscriptions.models import Subscriber
from subscriptions.services.audit import record_event
from subscriptions.services.erasure import erase_subscribers
from subscriptions.services.links import confirm_url, list_unsubscribe_headers, manage_url
from subscriptions.services.preferences import apply_preferences
from subscriptions.services.summary import interest_lines


class SignupOutcome(enum.Enum):
    """What happened; the page shows the same thing for all of them (no enumeration)."""

    CONFIRMATION_SENT = "confirmation_sent"
    MANAGE_LINK_SENT = "manage_link_sent"


def subscribe(email: str, preferences: dict[str, Any]) -> SignupOutcome:
    """Record a sign-up and enqueue the right email (after commit).

    New or unsubscribed addresses become pending with these preferences and get a confirmation
    email. An active subscriber's preferences are left alone (anyone can type an address): they
    get a link to their preference centre instead.
    """
    from subscriptions import tasks  # tasks import services: import late to avoid a cycle

    now = timezone.now()
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(email=email)
        if subscriber.status == Subscriber.Status.ACTIVE:
            record_event("manage_link_requested", subscriber)
            tasks.send_manage_link_email.delay_on_commit(subscriber.pk, now.isoformat())
            return SignupOutcome.MANAGE_LINK_SENT
        subscriber.status = Subscriber.Status.PENDING
        subscriber.unsubscribed_at = None
        apply_preferences(subscriber, preferences)
        record_event("signed_up" if created else "signed_up_again", subscriber)
        tasks.send_confirmation_email.delay_on_commit(subscriber.pk, now.isoformat())
    return SignupOutcome.CONFIRMATION_SENT


def request_link(email: str) -> None:
    """Send a fresh confirm or manage link to a known address; do nothing for unknown ones."""
    from subscriptions import tasks

    subscriber = Subscriber.objects.filter(email=email).first()
    if subscriber is None:
        return
    now = timezone.now().isoformat()
    if subscriber.status == Subscriber.Status.ACTIVE:
        tasks.send_manage_link_email.delay_on_commit(subscriber.pk, now)
    elif subscriber.status == Subscriber.Status.PENDING:
        tasks.send_confirmation_email.delay_on_commit(subscriber.pk, now)
    else:
        return
    record_event("link_requested", subscriber)


def confirm_subscription(
    subscriber: Subscriber, *, actor: str = "subscriber", user: Any = None
) -> bool:
    """Activate a pending subscriber; True if this call did it (confirming twice is harmless)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Subscriber.objects.filter(
            pk=subscriber.pk, status=Subscriber.Status.PENDING
        ).update(status=Subscriber.Status.ACTIVE, confirmed_at=now, unsubscribed_at=None)
        if claimed:
            record_event("confirmed", subscriber, actor=actor, user=user)
    subscriber.refresh_from_db()
    return bool(claimed)


def send_confirmation(subscriber_id: int, requested_at: datetime) -> bool:
    """Send the confirmation email once per request; True if this call sent it.

    Idempotent: the conditional UPDATE claims the request, so a redelivered task finds
    `confirmation_sent_at` past `requested_at` and sends nothing.
    """
    claim = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING).filter(
        Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=requested_at)
    )
    return _send_claimed(
        claim,
        "confirmation_sent_at",
        "emails/subscription_confirm",
        count_field="confirmation_send_count",
    )


def send_manage_link(subscriber_id: int, requested_at: datetime) -> bool:
    """Email an active subscriber a link to their preference centre; idempotent like above."""
    claim = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.ACTIVE).filter(
        Q(manage_link_sent_at__isnull=True) | Q(manage_link_sent_at__lt=requested_at)
    )
    return _send_claimed(claim, "manage_link_sent_at", "emails/subscription_manage", bulk=True)


def _send_claimed(
    claim: Any, stamp_field: str, template: str, count_field: str = "", *, bulk: bool = False
) -> bool:
    subscriber = claim.first()
    if subscriber is None:
        return False
    if hooks.suppression_of(subscriber.email) is not None:
        # A hard bounce or a complaint: mailing again hurts the site's reputation and, after a
        # complaint, the person. The admin's audit log shows why nothing went.
        record_event("mail_suppressed", subscriber, actor="system", template=template)
        return False
    previous = getattr(subscriber, stamp_field)
    changes: dict[str, Any] = {stamp_field: timezone.now()}
    if count_field:
        changes[count_field] = F(count_field) + 1
    if claim.filter(pk=subscriber.pk).update(**changes) != 1:
        return False  # another worker claimed it first
    try:
        _build(subscriber, template, bulk=bulk).send()
    except Exception:
        # Release the claim so a retry can send; the caller (a task) retries.
        Subscriber.objects.filter(pk=subscriber.pk).update(**{stamp_field: previous})
        raise
    return True


def _build(subscriber: Subscriber, template: str, *, bulk: bool) -> Any:
    context = {
        "subscriber": subscriber,
        "confirm_url": confirm_url(subscriber),
        "manage_url": manage_url(subscriber),
        "confirm_days": conf.confirm_link_max_age().days,
        "interests": interest_lines(subscriber),
    }
    # Only mail to an active subscriber carries List-Unsubscribe; a confirmation request is
    # transactional and has nothing to unsubscribe from yet.
    headers = list_unsubscribe_headers(subscriber) if bulk else None
    # emails builds every email (emails/message.py), answering subscriptions/hooks.py.
    return hooks.build_email(template, subscriber.email, context, headers)


def expired_signups(now: datetime | None = None) -> QuerySet[Subscriber]:
    """Sign-ups never confirmed, whose last confirmation email is past the retention period."""
    cutoff = (now or timezone.now()) - conf.unconfirmed_retention()
    stale = Subscriber.objects.filter(status=Subscriber.Status.PENDING, created_at__lt=cutoff)
    return stale.exclude(confirmation_sent_at__gte=cutoff)


def purge_unconfirmed(now: datetime | None = None, *, batch: int = 500) -> int:
    """Erase expired unconfirmed sign-ups (erasure.py: their bounces too); returns how many.

    Batches keep each transaction short; a second run finds nothing left to do.
    """
    count = 0
    while found := erase_subscribers(expired_signups(now).order_by("pk")[:batch]):
        count += found
    if count:
        record_event("purged_unconfirmed", None, actor="system", count=count)
    return count
