"""The preference centre's "Papers you rated": the digest feedback, newest first, with undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ranking.models import SubscriberModel
from subscriptions.models import AuditEvent, Feedback, Subscriber
from subscriptions.services.links import manage_url
from subscriptions.services.preferences import undo_feedback
from tests.factories import FeedbackFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber() -> Subscriber:
    return SubscriberFactory()


def rate(subscriber: Subscriber, title: str, kind: str, days_ago: int) -> Feedback:
    feedback = FeedbackFactory(subscriber=subscriber, paper=PaperFactory(title=title), kind=kind)
    Feedback.objects.filter(pk=feedback.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return feedback


def rated_section(client: Client, subscriber: Subscriber) -> str:
    html = client.get(manage_url(subscriber)).content.decode()
    return html[html.index('id="rated"') : html.index('id="feed"')]


def test_it_lists_rated_papers_newest_first_with_their_kind(
    client: Client, subscriber: Subscriber
) -> None:
    old = rate(subscriber, "Older liked paper", "liked", days_ago=9)
    rate(subscriber, "Newer disliked paper", "disliked", days_ago=1)
    rate(SubscriberFactory(), "Someone else's paper", "liked", days_ago=0)
    section = rated_section(client, subscriber)
    assert section.index("Newer disliked paper") < section.index("Older liked paper")
    assert section.index("Less like this") < section.index("More like this")
    assert f'<a href="/papers/{old.paper.canonical_id}/">Older liked paper</a>' in section
    shown = timezone.localdate() - timedelta(days=9)
    assert f"{shown.day} {shown:%b %Y}" in section
    assert "Someone else" not in section
    assert section.count('value="undo_feedback"') == 2


def test_it_shows_at_most_fifty_and_counts_the_rest(client: Client, subscriber: Subscriber) -> None:
    for n in range(53):
        rate(subscriber, f"Rated paper {n}", "liked", days_ago=n)
    section = rated_section(client, subscriber)
    assert section.count('value="undo_feedback"') == 50
    assert "Rated paper 49<" in section
    assert "Rated paper 50<" not in section
    assert "And 3 older ratings not listed" in section


def test_undo_deletes_the_rating_audits_and_refits_after_commit(
    client: Client,
    subscriber: Subscriber,
    django_capture_on_commit_callbacks,
) -> None:
    kept = rate(subscriber, "Kept rating", "liked", days_ago=2)
    undone = rate(subscriber, "Undone rating", "disliked", days_ago=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            manage_url(subscriber), {"action": "undo_feedback", "feedback": str(undone.pk)}
        )
    assert response.status_code == 302
    assert response["Location"].endswith("#rated")
    assert list(Feedback.objects.all()) == [kept]
    event = AuditEvent.objects.get()
    assert (event.action, event.subscriber) == ("feedback_undone", subscriber)
    assert event.details == {"paper": undone.paper.canonical_id, "kind": "disliked"}
    assert not SubscriberModel.objects.exists()  # not before the undo is committed
    for callback in callbacks:
        callback()
    assert SubscriberModel.objects.filter(subscriber=subscriber).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Undone rating" not in page
    assert "Kept rating" in page
    assert "Undone: your digests no longer learn from that rating." in page


def test_another_subscribers_rating_cannot_be_undone(
    client: Client, subscriber: Subscriber
) -> None:
    theirs = rate(SubscriberFactory(), "Their rating", "liked", days_ago=0)
    response = client.post(
        manage_url(subscriber), {"action": "undo_feedback", "feedback": str(theirs.pk)}
    )
    assert response.status_code == 404
    assert "That rating is not in your list" in response.content.decode()
    assert Feedback.objects.filter(pk=theirs.pk).exists()
    assert not AuditEvent.objects.exists()
    assert undo_feedback(subscriber, theirs.pk) is False


def test_undoing_twice_undoes_once(subscriber: Subscriber) -> None:
    rating = rate(subscriber, "Rated once", "liked", days_ago=0)
    assert undo_feedback(subscriber, rating.pk) is True
    assert undo_feedback(subscriber, rating.pk) is False
    assert AuditEvent.objects.filter(action="feedback_undone").count() == 1


@pytest.mark.parametrize("bad", ["", "abc", "-1", "0", "1.5", str(2**70), "1\x00"])
def test_a_malformed_id_is_a_clear_400(client: Client, subscriber: Subscriber, bad: str) -> None:
    rating = rate(subscriber, "Still rated", "liked", days_ago=0)
    response = client.post(manage_url(subscriber), {"action": "undo_feedback", "feedback": bad})
    assert response.status_code == 400
    assert "That rating could not be read; nothing was changed." in response.content.decode()
    assert Feedback.objects.filter(pk=rating.pk).exists()


def test_undo_needs_the_pages_csrf_token(subscriber: Subscriber) -> None:
    rating = rate(subscriber, "Rated", "liked", days_ago=0)
    strict = Client(enforce_csrf_checks=True)
    data = {"action": "undo_feedback", "feedback": str(rating.pk)}
    assert strict.post(manage_url(subscriber), data).status_code == 403
    token = strict.get(manage_url(subscriber)).context["csrf_token"]
    response = strict.post(manage_url(subscriber), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not Feedback.objects.exists()
