from __future__ import annotations

import json

import pytest
from django.test import Client

from subscriptions.models import AuditEvent, Feedback, Subscriber
from subscriptions.services.links import manage_url, unsubscribe_url
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def subscriber(topic) -> Subscriber:
    subscriber = SubscriberFactory(email="ada@example.org", keywords=["<b>bold</b>", "graphs"])
    subscriber.topics.set([topic])
    return subscriber


def test_it_shows_the_current_preferences_escaped(client: Client, subscriber) -> None:
    response = client.get(path_of(manage_url(subscriber)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ada@example.org" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    assert 'value="graph-learning" id="id_topics_0" checked' in html
    assert response["Referrer-Policy"] == "same-origin"


def test_it_saves_every_preference(client: Client, subscriber) -> None:
    other = TopicFactory(name="Robots", slug="robots")
    response = client.post(
        path_of(manage_url(subscriber)),
        {
            "topics": ["robots"],
            "keywords": "legged locomotion",
            "negative_keywords": "",
            "categories": "cs.RO",
            "authors": "Marc Raibert",
            "seed_papers": "2401.01234v3",
            "frequency": "weekly",
            "weekly_day": "6",
            "papers_per_digest": "50",
            "delivery_hour": "23",
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 200
    assert "Saved." in response.content.decode()
    subscriber.refresh_from_db()
    assert list(subscriber.topics.all()) == [other]
    assert subscriber.keywords == ["legged locomotion"]
    assert subscriber.negative_keywords == []
    assert subscriber.seed_paper_ids == ["2401.01234"]
    assert (subscriber.frequency, subscriber.weekly_day) == ("weekly", 6)
    assert (subscriber.papers_per_digest, subscriber.delivery_hour) == (50, 23)
    assert subscriber.time_zone == "America/New_York"
    assert AuditEvent.objects.filter(action="preferences_updated").count() == 1


def test_bad_input_changes_nothing(client: Client, subscriber) -> None:
    response = client.post(
        path_of(manage_url(subscriber)),
        {"keywords": "new", "papers_per_digest": "500", "seed_papers": "nope"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was changed" in html
    assert "less than or equal to 50" in html
    subscriber.refresh_from_db()
    assert subscriber.keywords == ["<b>bold</b>", "graphs"]
    assert subscriber.papers_per_digest == 20


def test_pause_and_resume(client: Client, subscriber) -> None:
    url = path_of(manage_url(subscriber))
    response = client.post(url, {"action": "pause"})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.paused
    assert not subscriber.receives_digests
    assert "Digests are paused" in client.get(url).content.decode()
    client.post(url, {"action": "resume"})
    subscriber.refresh_from_db()
    assert not subscriber.paused
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["paused", "resumed"]


def test_an_unsubscribed_reader_can_subscribe_again(client: Client) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    client.post(path_of(manage_url(subscriber)), {"action": "resubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_export_downloads_everything_as_json(client: Client, subscriber) -> None:
    paper = PaperFactory(canonical_id="2401.01234")
    Feedback.objects.create(subscriber=subscriber, paper=paper, kind="liked")
    response = client.get(path_of(manage_url(subscriber)) + "export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["email"] == "ada@example.org"
    assert data["topics"] == ["graph-learning"]
    assert data["keywords"] == ["<b>bold</b>", "graphs"]
    assert data["feedback"][0]["paper"] == "2401.01234"


def test_delete_needs_the_box_ticked(client: Client, subscriber) -> None:
    url = path_of(manage_url(subscriber)) + "delete/"
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_delete_erases_the_subscriber_and_keeps_an_anonymous_audit_row(
    client: Client, subscriber
) -> None:
    Feedback.objects.create(subscriber=subscriber, paper=PaperFactory(), kind="disliked")
    client.post(path_of(manage_url(subscriber)), {"action": "pause"})
    url = path_of(manage_url(subscriber))
    response = client.post(url + "delete/", {"confirm": "on"})
    assert response.status_code == 200
    assert "deleted" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not Feedback.objects.exists()
    [event] = AuditEvent.objects.all()
    assert (event.action, event.subscriber, event.details) == ("account_deleted", None, {})
    assert client.get(url).status_code == 400  # the old link is dead


def test_an_unsubscribe_link_cannot_manage(client: Client, subscriber) -> None:
    token = path_of(unsubscribe_url(subscriber)).split("/")[2]
    response = client.get(f"/manage/{token}/")
    assert response.status_code == 403
    assert client.get(f"/manage/{token}/export/").status_code == 403
    assert client.post(f"/manage/{token}/delete/", {"confirm": "on"}).status_code == 403
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
