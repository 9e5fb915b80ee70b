from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from subscriptions.models import AuditEvent, Subscriber, Topic
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
URL = "/admin/subscriptions/subscriber/"


@pytest.fixture
def staff(client: Client) -> User:
    user = User.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return user


def act(client: Client, action: str, *subscribers: Subscriber):
    return client.post(
        URL, {"action": action, "_selected_action": [s.pk for s in subscribers]}, follow=True
    )


def test_the_list_shows_totals_per_status_and_filters(client: Client, staff, topic) -> None:
    SubscriberFactory.create_batch(2)
    SubscriberFactory(status=Subscriber.Status.PENDING)
    SubscriberFactory(email="robot@example.org").topics.set([topic])
    html = client.get(URL).content.decode()
    assert "<strong>3</strong> active" in html
    assert "<strong>1</strong> pending confirmation" in html
    for query in [
        "?status__exact=pending",
        f"?topics__id__exact={topic.pk}",
        "?frequency__exact=weekly",
        "?q=robot",
    ]:
        assert client.get(URL + query).status_code == 200
    assert client.get(URL + "?q=robot").context["cl"].result_count == 1
    assert client.get(URL + f"?topics__id__exact={topic.pk}").context["cl"].result_count == 1


def test_keywords_with_html_are_escaped_in_admin(client: Client, staff) -> None:
    subscriber = SubscriberFactory(keywords=["<script>alert(1)</script>"])
    html = client.get(f"{URL}{subscriber.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_actions_confirm_pause_resume_are_audited(client: Client, staff) -> None:
    pending = SubscriberFactory(status=Subscriber.Status.PENDING)
    act(client, "confirm", pending)
    act(client, "pause", pending)
    pending.refresh_from_db()
    assert (pending.status, pending.paused) == ("active", True)
    act(client, "resume", pending)
    pending.refresh_from_db()
    assert not pending.paused
    events = AuditEvent.objects.filter(subscriber=pending).order_by("id")
    assert [(e.action, e.actor, e.user) for e in events] == [
        ("confirmed", "user", staff),
        ("paused", "user", staff),
        ("resumed", "user", staff),
    ]


def test_resend_confirmation_mails_pending_subscribers_only(
    client: Client, staff, smtp_server, django_capture_on_commit_callbacks
) -> None:
    pending = SubscriberFactory(email="wait@example.org", status=Subscriber.Status.PENDING)
    active = SubscriberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "resend_confirmation", pending, active)
    assert "1 confirmation email(s) queued" in response.content.decode()
    assert [m["To"] for m in smtp_server.messages] == ["wait@example.org"]


def test_revoke_links_bumps_the_version(client: Client, staff) -> None:
    subscriber = SubscriberFactory()
    act(client, "revoke_links", subscriber)
    subscriber.refresh_from_db()
    assert subscriber.token_version == 2


def test_editing_a_subscriber_records_who_and_what(client: Client, staff, topic) -> None:
    subscriber = SubscriberFactory(email="edit@example.org")
    response = client.post(
        f"{URL}{subscriber.pk}/change/",
        {
            "email": "Edit@Example.org",
            "status": "active",
            "frequency": "weekly",
            "weekly_day": "2",
            "papers_per_digest": "15",
            "delivery_hour": "6",
            "time_zone": "UTC",
            "topics": [topic.pk],
            "keywords": "a, b",
            "negative_keywords": "",
            "categories": "cs.IR",
            "authors": "",
            "seed_paper_ids": "[]",
            "feedback-TOTAL_FORMS": "0",
            "feedback-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.keywords) == ("edit@example.org", ["a", "b"])
    event = AuditEvent.objects.get(action="admin_changed")
    assert event.user == staff
    assert "frequency" in event.details["fields"]


def test_admin_rejects_bad_keywords(client: Client, staff) -> None:
    subscriber = SubscriberFactory()
    response = client.post(
        f"{URL}{subscriber.pk}/change/",
        {
            "email": subscriber.email,
            "status": "active",
            "frequency": "daily",
            "weekly_day": "0",
            "papers_per_digest": "20",
            "delivery_hour": "7",
            "time_zone": "UTC",
            "keywords": "x" * 10_000,
            "seed_paper_ids": "[]",
            "feedback-TOTAL_FORMS": "0",
            "feedback-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "keywords" in response.context["adminform"].form.errors


def test_topics_are_editable_with_their_keywords(client: Client, staff) -> None:
    topic = Topic.objects.get(slug="llms")  # shipped by the data migration
    response = client.post(
        f"/admin/subscriptions/topic/{topic.pk}/change/",
        {
            "name": topic.name,
            "slug": "llms",
            "description": "",
            "keywords": "LLM\nRLHF",
            "categories": "cs.CL",
            "active": "on",
            "position": "0",
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.keywords, topic.categories) == (["LLM", "RLHF"], ["cs.CL"])


def test_the_audit_log_is_read_only(client: Client, staff) -> None:
    event = AuditEvent.objects.create(actor="system", action="x")
    assert client.get("/admin/subscriptions/auditevent/").status_code == 200
    assert client.get("/admin/subscriptions/auditevent/add/").status_code == 403
    assert client.post(f"/admin/subscriptions/auditevent/{event.pk}/delete/").status_code == 403


def test_the_default_topics_are_shipped() -> None:
    assert Topic.objects.filter(active=True).count() >= 12
    assert "quant-ph" in Topic.objects.get(slug="quantum").categories
