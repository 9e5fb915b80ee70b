from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from subscriptions.models import AuditEvent, Subscriber
from tests.clock import FROZEN
from tests.factories import PaperFactory, SubscriberFactory
from tests.subscriptions.conftest import link_in, mail_parts

pytestmark = pytest.mark.django_db


def post_signup(client: Client, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        return client.post("/", data)


def test_it_shows_the_form_above_the_trending_papers(client: Client, topic) -> None:
    PaperFactory(title="Attention Is All You Need", upvotes=99)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Get trending papers in your email inbox once a day!" in html
    assert 'name="email"' in html
    assert "Graph learning" in html
    assert "<details" in html  # advanced fields are folded
    assert html.index('name="email"') < html.index("Attention Is All You Need")


def test_it_records_a_pending_subscriber_and_mails_a_confirmation_link(
    client: Client, topic, smtp_server, django_capture_on_commit_callbacks
) -> None:
    PaperFactory(canonical_id="1706.03762", title="Attention")
    response = post_signup(
        client,
        django_capture_on_commit_callbacks,
        email="  Ada@Example.ORG ",
        topics=[topic.slug],
        keywords="dense retrieval, graph neural networks",
        negative_keywords="quantum",
        categories="CS.lg\nstat.ML",
        seed_papers="https://arxiv.org/abs/1706.03762v5\n2401.01234",
        authors="Curie, Marie\nAlan Turing",
        frequency="weekly",
        weekly_day="4",
        papers_per_digest="10",
        delivery_hour="8",
        time_zone="Europe/Paris",
    )
    assert response.status_code == 302
    assert response["Location"] == "/check-your-inbox/"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ada@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.keywords == ["dense retrieval", "graph neural networks"]
    assert subscriber.negative_keywords == ["quantum"]
    assert subscriber.categories == ["cs.lg", "stat.ML"]
    assert subscriber.seed_paper_ids == ["1706.03762", "2401.01234"]
    assert [p.canonical_id for p in subscriber.seed_papers.all()] == ["1706.03762"]
    assert subscriber.authors == ["Curie, Marie", "Alan Turing"]
    assert (subscriber.frequency, subscriber.weekly_day) == ("weekly", 4)
    assert (subscriber.papers_per_digest, subscriber.delivery_hour) == (10, 8)
    assert subscriber.time_zone == "Europe/Paris"
    assert subscriber.confirmation_send_count == 1

    [message] = smtp_server.messages
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Confirm your Paperboy subscription"
    assert message["List-Unsubscribe"] is None  # nothing to unsubscribe from yet
    text, html = mail_parts(message)
    text_link = link_in(text, "/confirm/")
    assert text_link.startswith("http://testserver/confirm/")
    assert link_in(html, "/confirm/") == text_link
    assert "Graph learning" in text
    assert "Graph learning" in html
    assert 'style="' in html  # CSS was inlined


def test_it_uses_defaults_when_only_the_email_is_given(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    post_signup(client, django_capture_on_commit_callbacks, email="min@example.org")
    subscriber = Subscriber.objects.get()
    assert (subscriber.frequency, subscriber.papers_per_digest) == ("daily", 20)
    assert (subscriber.delivery_hour, subscriber.time_zone) == (7, "UTC")


def test_an_active_address_gets_a_manage_link_and_the_same_page(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    subscriber = SubscriberFactory(email="known@example.org", keywords=["kept"])
    response = post_signup(
        client, django_capture_on_commit_callbacks, email="KNOWN@example.org", keywords="changed"
    )
    assert response.status_code == 302
    assert response["Location"] == "/check-your-inbox/"
    subscriber.refresh_from_db()
    assert subscriber.keywords == ["kept"]  # anyone can type an address: nothing changes
    [message] = smtp_server.messages
    text, html = mail_parts(message)
    assert link_in(text, "/manage/") == link_in(html, "/manage/")
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://testserver/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_check_inbox_page_reveals_nothing(client: Client) -> None:
    html = client.get("/check-your-inbox/").content.decode()
    assert "If the address can receive" in html


def test_a_bot_filling_the_honeypot_stores_nothing(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    response = post_signup(
        client, django_capture_on_commit_callbacks, email="bot@example.org", website="http://spam"
    )
    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    assert smtp_server.messages == []


def test_signing_up_again_after_unsubscribing_sends_a_new_confirmation(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    SubscriberFactory(email="back@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    post_signup(client, django_capture_on_commit_callbacks, email="back@example.org")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.unsubscribed_at is None
    assert len(smtp_server.messages) == 1
    assert "/confirm/" in mail_parts(smtp_server.messages[0])[0]
    assert AuditEvent.objects.filter(action="signed_up_again").count() == 1


def test_repeated_submissions_keep_one_record(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    for _ in range(3):
        post_signup(client, django_capture_on_commit_callbacks, email="again@example.org")
    assert Subscriber.objects.count() == 1
    assert len(smtp_server.messages) == 3  # one per request; the rate limit bounds them


@FROZEN
def test_it_rate_limits_one_address(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SUBSCRIPTIONS_SIGNUP_RATE_PER_ADDRESS = "2/h"
    for _ in range(2):
        assert (
            post_signup(
                client, django_capture_on_commit_callbacks, email="a@example.org"
            ).status_code
            == 302
        )
    response = post_signup(client, django_capture_on_commit_callbacks, email="A@example.org")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert (
        post_signup(client, django_capture_on_commit_callbacks, email="b@example.org").status_code
        == 302
    )


@FROZEN
def test_it_rate_limits_one_client_address(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SUBSCRIPTIONS_SIGNUP_RATE_PER_IP = "3/h"
    for n in range(3):
        post_signup(client, django_capture_on_commit_callbacks, email=f"n{n}@example.org")
    response = post_signup(client, django_capture_on_commit_callbacks, email="n9@example.org")
    assert response.status_code == 429
    assert Subscriber.objects.count() == 3


def test_the_form_needs_a_csrf_token() -> None:
    response = Client(enforce_csrf_checks=True).post("/", {"email": "x@example.org"})
    assert response.status_code == 403
    assert not Subscriber.objects.exists()
