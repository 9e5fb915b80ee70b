"""A subscriber's personal Atom feed: exactly the papers their digests carried, newest digest
first, each with its explanation line. The URL is signed (purpose "feed") with the subscriber's
`feed_token_version` (subscriptions/services/links.py), so "reset feed link" in the preference
centre revokes it. Here rather than in subscriptions because it reads the digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from emails.message import site_domain
from emails.models import Digest
from emails.services.digest import items_from_snapshot
from emails.viewmodel import MAX_EXPLANATION_CHARS, DigestItem
from ranking.feeds import paper_path, paper_summary
from ranking.text import clean_text
from subscriptions import tokens
from subscriptions.models import Subscriber
from subscriptions.services.links import subscriber_from_feed_token

FEED_DIGESTS = 14


@dataclass(frozen=True)
class FeedEntry:
    digest: Digest
    item: DigestItem


class PersonalFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        # The URL is a credential: keep it out of caches, search engines and Referer headers.
        response["Cache-Control"] = "private, max-age=300"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "same-origin"
        return response

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Subscriber:
        try:
            return subscriber_from_feed_token(kwargs["token"])
        except tokens.TokenError as exc:
            raise Http404("This feed link is not valid (it may have been reset).") from exc

    def title(self, subscriber: Subscriber) -> str:
        return f"{settings.SITE_NAME}: your daily papers"

    def link(self, subscriber: Subscriber) -> str:
        return reverse("ranking:home")

    def feed_guid(self, subscriber: Subscriber) -> str:
        # Stable across feed link resets, and free of the token and the address.
        return f"tag:{site_domain()},2026:feed/{subscriber.pk}"

    def subtitle(self, subscriber: Subscriber) -> str:
        return "The papers of your Paperboy digests, with why each was picked."

    def items(self, subscriber: Subscriber) -> list[FeedEntry]:
        digests = Digest.objects.filter(
            subscriber=subscriber, kind=Digest.Kind.DIGEST, state=Digest.State.SENT
        ).order_by("-digest_date", "-pk")[:FEED_DIGESTS]
        return [
            FeedEntry(digest, item) for digest in digests for item in items_from_snapshot(digest)
        ]

    def item_title(self, entry: FeedEntry) -> str:
        return clean_text(entry.item.paper.title, 300) or "(untitled)"

    def item_link(self, entry: FeedEntry) -> str:
        return paper_path(entry.item.paper)

    def item_guid(self, entry: FeedEntry) -> str:
        digest, paper = entry.digest, entry.item.paper
        return f"tag:{site_domain()},{digest.digest_date:%Y-%m-%d}:digest/{digest.pk}/{paper.pk}"

    item_guid_is_permalink = False

    def item_description(self, entry: FeedEntry) -> str:
        # The digest's own rule (emails.viewmodel.make_view): the explanation, or why in general.
        why = clean_text(entry.item.explanation, MAX_EXPLANATION_CHARS)
        interest = clean_text(entry.item.interest, 80)
        if not why:
            why = (
                f"Matches your interest in {interest}."
                if interest
                else "Picked for your interests."
            )
        return paper_summary(entry.item.paper, prefix=why)

    def item_categories(self, entry: FeedEntry) -> list[str]:
        interest = clean_text(entry.item.interest, 80)
        return [interest] if interest else []

    def item_pubdate(self, entry: FeedEntry) -> datetime:
        return entry.digest.sent_at or datetime.combine(entry.digest.digest_date, time.min, UTC)

    def item_updateddate(self, entry: FeedEntry) -> datetime:
        return self.item_pubdate(entry)
