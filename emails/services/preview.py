"""Preview a subscriber's next digest without recording or sending anything: the same ranking
and rendering code as the nightly run, nothing written, links inactive."""

from __future__ import annotations

from datetime import date

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from emails.links import LinkBuilder
from emails.message import build_email
from emails.models import Digest
from emails.render import PREFIX
from emails.services.digest import NUDGE_PREFIX, digest_headers, recipient_for
from emails.viewmodel import DigestItem, make_view
from ranking.services.recommend import preview_recommendations
from subscriptions.models import Subscriber

PREVIEW_LABEL = (
    "Preview: ranked by the same code as tonight's run, from the papers in this subscriber's "
    "window. Nothing is saved; links in a preview are inactive."
)


def preview_items(subscriber: Subscriber, digest_date: date | None = None) -> list[DigestItem]:
    """The ranking the nightly run would make today (not written anywhere)."""
    digest_date = digest_date or timezone.localdate()
    ranked, _ = preview_recommendations(subscriber, digest_date)
    return [DigestItem(paper, rec.score, rec.explanation, rec.interest) for paper, rec in ranked]


def preview_digest(
    subscriber: Subscriber, digest_date: date | None = None
) -> EmailMultiAlternatives:
    """The next digest as it would be built today, by the reference renderer; nothing saved."""
    digest_date = digest_date or timezone.localdate()
    recipient = recipient_for(subscriber)
    digest = Digest(subscriber=subscriber, digest_date=digest_date, message_id="<preview@local>")
    headers = digest_headers(digest, recipient)
    if not recipient.interests:
        context = {"manage_url": recipient.manage_url, "email": recipient.email}
        context["unsubscribe_url"] = recipient.unsubscribe_url
        return build_email(NUDGE_PREFIX, recipient.email, context, headers)
    items = preview_items(subscriber, digest_date)
    # Digest id 0 signs links that no view accepts: a preview can never record feedback.
    view = make_view(recipient, 0, digest_date, items, LinkBuilder())
    return build_email(PREFIX, recipient.email, view.as_context(), headers)
