"""Absolute, signed links for emails and pages, and the reverse: token -> subscriber."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from subscriptions import conf, tokens
from subscriptions.models import Subscriber


class RevokedToken(tokens.TokenError):
    """Genuine, but its subscriber is gone or revoked all links since."""


def _absolute(view: str, purpose: tokens.Purpose, subscriber: Subscriber) -> str:
    token = tokens.make_token(purpose, subscriber.pk, subscriber.token_version)
    return settings.SITE_URL + reverse(view, kwargs={"token": token})


def confirm_url(subscriber: Subscriber) -> str:
    return _absolute("subscriptions:confirm", "confirm", subscriber)


def manage_url(subscriber: Subscriber) -> str:
    return _absolute("subscriptions:manage", "manage", subscriber)


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The one-click URL: for `List-Unsubscribe` and the visible link in every bulk email."""
    return _absolute("subscriptions:unsubscribe", "unsubscribe", subscriber)


def feed_url(subscriber: Subscriber) -> str:
    """The personal Atom feed (emails/feeds.py: it reads the digests, so it is served by the app
    above, named here by URL name); signed with the feed's own version so it can be reset
    alone."""
    token = tokens.make_token("feed", subscriber.pk, subscriber.feed_token_version)
    return settings.SITE_URL + reverse("emails:feed", kwargs={"token": token})


def subscriber_from_feed_token(token: str) -> Subscriber:
    """The subscriber of a feed URL; a `tokens.TokenError` if reset, gone or unsubscribed."""
    payload = tokens.read_token(token, "feed")
    subscriber = Subscriber.objects.filter(pk=payload.subscriber_id).first()
    if subscriber is None or subscriber.feed_token_version != payload.version:
        raise RevokedToken
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        raise RevokedToken
    return subscriber


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 8058 headers for bulk mail (digests and anything else a subscriber can opt out of)."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def subscriber_from_token(token: str, purpose: tokens.Purpose) -> Subscriber:
    """Return the subscriber a token is for; raise a `tokens.TokenError` when it is unusable."""
    max_age = conf.confirm_link_max_age() if purpose == "confirm" else None
    payload = tokens.read_token(token, purpose, max_age=max_age)
    subscriber = Subscriber.objects.filter(pk=payload.subscriber_id).first()
    if subscriber is None or subscriber.token_version != payload.version:
        raise RevokedToken
    return subscriber
