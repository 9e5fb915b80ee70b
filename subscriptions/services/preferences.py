"""The preference centre's writes: interests, pause, unsubscribe, export (deletion: erasure.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from subscriptions.models import Feedback, Subscriber
from subscriptions.services.audit import record_event
from subscriptions.signals import interests_changed

PREFERENCE_FIELDS = (
    "keywords",
    "negative_keywords",
    "categories",
    "authors",
    "frequency",
    "weekly_day",
    "papers_per_digest",
    "delivery_hour",
    "time_zone",
)


def apply_preferences(subscriber: Subscriber, preferences: dict[str, Any]) -> None:
    """Set fields, topics and seed papers from a cleaned PreferencesForm and save (validated)."""
    for name in PREFERENCE_FIELDS:
        if name in preferences:
            setattr(subscriber, name, preferences[name])
    if "seed_papers" in preferences:
        subscriber.seed_paper_ids = list(preferences["seed_papers"])
    subscriber.full_clean(validate_unique=False)
    subscriber.save()
    if "topics" in preferences:
        subscriber.topics.set(preferences["topics"])
    resolve_seed_papers(subscriber)


def resolve_seed_papers(subscriber: Subscriber) -> int:
    """Link the seed ids the catalogue knows; returns how many are linked."""
    papers = subscriber.seed_papers.model  # the catalogue's Paper ("ranking.Paper")
    known = papers.objects.filter(canonical_id__in=subscriber.seed_paper_ids)
    subscriber.seed_papers.set(known)
    return len(subscriber.seed_papers.all())


def update_preferences(subscriber: Subscriber, preferences: dict[str, Any]) -> None:
    with transaction.atomic():
        apply_preferences(subscriber, preferences)
        record_event("preferences_updated", subscriber, fields=sorted(preferences))
        # Ranking refits the model seconds after the change, not at night: the next digest
        # already reflects it (ranking/receivers.py).
        interests_changed.send(sender=Subscriber, subscriber_id=subscriber.pk)


def undo_feedback(subscriber: Subscriber, feedback_id: int) -> bool:
    """Delete one of the subscriber's "more/less like this" ratings and refit their model.

    False, and nothing changed, for an id that is not one of theirs (another subscriber's, or
    already undone): the delete is claimed by its row count, so two clicks undo once.
    """
    mine = Feedback.objects.filter(pk=feedback_id, subscriber=subscriber)
    with transaction.atomic():
        rating = mine.values("kind", "paper__canonical_id").first()
        deleted, _ = mine.delete()
        if rating is None or not deleted:
            return False
        record_event(
            "feedback_undone", subscriber, paper=rating["paper__canonical_id"], kind=rating["kind"]
        )
        interests_changed.send(sender=Subscriber, subscriber_id=subscriber.pk)
    return True


def set_paused(subscriber: Subscriber, paused: bool, *, user: Any = None) -> bool:
    """Pause or resume digests; True if it changed anything."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(pk=subscriber.pk, paused=not paused).update(
            paused=paused
        )
        if changed:
            record_event("paused" if paused else "resumed", subscriber, user=user)
    subscriber.refresh_from_db(fields=["paused"])
    return bool(changed)


def unsubscribe(subscriber: Subscriber, *, via: str = "link") -> bool:
    """Stop all mail now. Idempotent: True only for the call that unsubscribed."""
    with transaction.atomic():
        changed = (
            Subscriber.objects.filter(pk=subscriber.pk)
            .exclude(status=Subscriber.Status.UNSUBSCRIBED)
            .update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        )
        if changed:
            record_event("unsubscribed", subscriber, via=via)
    subscriber.refresh_from_db()
    return bool(changed)


def resubscribe(subscriber: Subscriber) -> bool:
    """Reactivate from the preference centre: the manage link already proves the mailbox."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(
            pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED
        ).update(status=Subscriber.Status.ACTIVE, unsubscribed_at=None, paused=False)
        if changed:
            record_event("resubscribed", subscriber)
    subscriber.refresh_from_db()
    return bool(changed)


def revoke_links(subscriber: Subscriber, *, user: Any = None) -> None:
    """Invalidate every confirm, manage and unsubscribe link sent so far."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(token_version=F("token_version") + 1)
        record_event("links_revoked", subscriber, user=user)
    subscriber.refresh_from_db(fields=["token_version"])


def reset_feed_link(subscriber: Subscriber) -> None:
    """Revoke the personal feed URL (and only it); the preference centre shows the new one."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(
            feed_token_version=F("feed_token_version") + 1
        )
        record_event("feed_link_reset", subscriber)
    subscriber.refresh_from_db(fields=["feed_token_version"])


def export_subscriber_data(subscriber: Subscriber) -> dict[str, Any]:
    """Everything stored about a subscriber, as JSON-safe data."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    data: dict[str, Any] = {
        "email": subscriber.email,
        "status": subscriber.status,
        "created_at": iso(subscriber.created_at),
        "confirmed_at": iso(subscriber.confirmed_at),
        "unsubscribed_at": iso(subscriber.unsubscribed_at),
        "paused": subscriber.paused,
        "topics": [topic.slug for topic in subscriber.topics.all()],
        "seed_papers": list(subscriber.seed_paper_ids),
    }
    data.update({name: getattr(subscriber, name) for name in PREFERENCE_FIELDS})
    data["feedback"] = [
        {"paper": fb.paper.canonical_id, "kind": fb.kind, "at": iso(fb.created_at)}
        for fb in subscriber.feedback.select_related("paper").order_by("created_at")
    ]
    data["history"] = [
        {"action": event.action, "at": iso(event.created_at), "by": event.actor}
        for event in subscriber.audit_events.order_by("created_at", "id")
    ]
    return data
