"""What a digest's links do: resolve a signed token to its digest and paper, record feedback,
and say where a click may go (clicks are recorded by emails/services/clicks.py)."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from emails import conf
from emails.links import BadLink, LinkError, read_paper_token, read_view_token
from emails.models import Digest, LinkEvent
from ranking.identifiers import safe_url
from ranking.models import Paper
from subscriptions.models import Feedback

logger = logging.getLogger(__name__)
MAX_USER_AGENT = 200
FEEDBACK_KINDS: dict[str, str] = {
    LinkEvent.Kind.MORE: Feedback.Kind.LIKED,
    LinkEvent.Kind.LESS: Feedback.Kind.DISLIKED,
}


class RevokedLink(LinkError):
    """Genuine, but the digest is gone or the subscriber revoked their links since."""


class ExpiredLink(LinkError):
    """Genuine, but its digest is older than DIGEST_LINK_MAX_AGE_DAYS."""


class NotInDigest(LinkError):
    """Genuine signature, but the paper was never in that digest (or no longer exists)."""


def resolve_paper_link(token: str) -> tuple[Digest, Paper]:
    """The digest and paper of a click/feedback token; raises a `LinkError` saying why not."""
    link = read_paper_token(token)
    digest = _digest(link.digest_id, link.version)
    if link.paper_id not in digest.paper_ids:
        raise NotInDigest
    paper = Paper.objects.filter(pk=link.paper_id).first()
    if paper is None:
        raise NotInDigest
    return digest, paper


def resolve_view_link(token: str) -> Digest:
    link = read_view_token(token)
    digest = _digest(link.digest_id, link.version)
    if is_expired(digest):
        raise ExpiredLink
    return digest


def _digest(digest_id: int, version: int) -> Digest:
    digest = Digest.objects.select_related("subscriber").filter(pk=digest_id).first()
    if digest is None or digest.subscriber.token_version != version:
        raise RevokedLink
    return digest


def is_expired(digest: Digest, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return today > digest.digest_date + conf.link_max_age()


def paper_target_url(paper: Paper) -> str:
    """Where a click on `paper` goes: its publisher's page, else its page on this site (demo,
    DOI-only and title-only papers have no usable URL); never anything taken from the request."""
    for url in (paper.abs_url, paper.pdf_url):
        if web_url := safe_url(url):  # the one rule pages and cards link by too
            return web_url
    return settings.SITE_URL + reverse("ranking:paper", args=[paper.canonical_id])


def record_feedback(digest: Digest, paper: Paper, kind: str, user_agent: str = "") -> Feedback:
    """Record "more/less like this" as the subscriber's liked/disliked feedback on `paper`.

    Idempotent per (subscriber, paper): a second click updates the kind (a change of mind)
    instead of adding a row. The subscriber's ranking model is refreshed after commit.
    """
    if kind not in FEEDBACK_KINDS:
        raise BadLink
    if is_expired(digest):
        raise ExpiredLink
    with transaction.atomic():
        feedback, _ = Feedback.objects.update_or_create(
            subscriber=digest.subscriber, paper=paper, defaults={"kind": FEEDBACK_KINDS[kind]}
        )
        LinkEvent.objects.create(
            digest=digest, paper=paper, kind=kind, user_agent=user_agent[:MAX_USER_AGENT]
        )
        enqueue_model_refresh(digest.subscriber_id)
    return feedback


def enqueue_model_refresh(subscriber_id: int) -> None:
    """After commit, refit the subscriber's ranking model so tomorrow's digest learns from it."""
    from ranking.tasks import refresh_subscriber_model

    refresh_subscriber_model.delay_on_commit(subscriber_id)
