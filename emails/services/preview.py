"""Preview a subscriber's next digest without recording or sending anything.

The nightly ranking is not wired to digests yet, so the preview ranks recent papers with a
simple keyword/category/author match and says so on the page. Swap `preview_items` for the
ranking core once its Recommendation rows exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from emails.digest import DigestItem, make_view
from emails.links import LinkBuilder
from emails.message import build_email
from emails.models import Digest
from emails.render import PREFIX
from emails.services.digest import NUDGE_PREFIX, digest_headers, recipient_for
from ranking.models import Paper
from subscriptions.models import Subscriber

FALLBACK_LABEL = (
    "Fallback preview ranking: recent papers matching this subscriber's topics, keywords, "
    "categories and authors. The nightly ranking is not wired into digests yet. "
    "Links in a preview are inactive."
)
RECENT_PAPERS = 500


@dataclass(frozen=True)
class Interest:
    name: str
    terms: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


def preview_interests(subscriber: Subscriber) -> list[Interest]:
    interests = [
        Interest(topic.name, tuple(topic.keywords), tuple(topic.categories))
        for topic in subscriber.topics.all()
        if topic.active
    ]
    interests += [Interest(keyword, terms=(keyword,)) for keyword in subscriber.keywords]
    interests += [Interest(c, categories=(c,)) for c in subscriber.categories]
    interests += [Interest(f"papers by {a}", authors=(a,)) for a in subscriber.authors]
    return interests


def preview_items(subscriber: Subscriber, limit: int | None = None) -> list[DigestItem]:
    """Recent papers matching the subscriber's interests, each interest taking turns (fallback)."""
    interests = preview_interests(subscriber)
    papers = list(Paper.objects.order_by("-first_seen", "-id")[:RECENT_PAPERS])
    queues = []
    for interest in interests:
        matches = [(_match(paper, interest), paper) for paper in papers]
        ranked = sorted(
            (m for m in matches if m[0][0] > 0),
            key=lambda m: (m[0][0], m[1].upvotes or 0),
            reverse=True,
        )
        queues.append(ranked)
    chosen: dict[int, DigestItem] = {}
    limit = limit or subscriber.papers_per_digest
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue and queue[0][1].pk in chosen:
                queue.pop(0)
            if queue and len(chosen) < limit:
                (score, explanation, name), paper = queue.pop(0)
                chosen[paper.pk] = DigestItem(paper, score, explanation, name)
    return list(chosen.values())


def _match(paper: Paper, interest: Interest) -> tuple[float, str, str]:
    text = f"{paper.title} {paper.abstract}".lower()
    terms = [term for term in interest.terms if term.lower() in text]
    categories = [c for c in interest.categories if c in (paper.categories or [])]
    authors = [a for a in interest.authors if a in (paper.authors or [])]
    score = len(terms) + 0.5 * len(categories) + 2.0 * len(authors)
    reasons = ["Mentions " + " and ".join(f"“{term}”" for term in terms[:2])] if terms else []
    reasons += [f"in {c}" for c in categories[:1]] + [f"by {a}" for a in authors[:1]]
    explanation = " · ".join(reasons)
    return score, explanation, interest.name


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
    items = preview_items(subscriber)
    # Digest id 0 signs links that no view accepts: a preview can never record feedback.
    view = make_view(recipient, 0, digest_date, items, LinkBuilder())
    return build_email(PREFIX, recipient.email, view.as_context(), headers)
