from __future__ import annotations

import pytest
from django.test import Client

from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import mail_parts

pytestmark = pytest.mark.django_db


def ask(client: Client, capture, email: str):
    with capture(execute=True):
        return client.post("/link/", {"email": email})


@pytest.mark.parametrize(
    ("status", "path"),
    [(Subscriber.Status.ACTIVE, "/manage/"), (Subscriber.Status.PENDING, "/confirm/")],
)
def test_a_known_address_gets_the_right_link(
    client: Client, smtp_server, django_capture_on_commit_callbacks, status, path
) -> None:
    SubscriberFactory(email="me@example.org", status=status)
    response = ask(client, django_capture_on_commit_callbacks, "ME@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/check-your-inbox/"
    text, html = mail_parts(smtp_server.messages[0])
    assert path in text
    assert path in html


def test_unknown_and_unsubscribed_addresses_get_the_same_answer_and_no_mail(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    for email in ["nobody@example.org", "gone@example.org"]:
        response = ask(client, django_capture_on_commit_callbacks, email)
        assert (response.status_code, response["Location"]) == (302, "/check-your-inbox/")
    assert smtp_server.messages == []


def test_bad_input_gets_an_error(client: Client) -> None:
    response = client.post("/link/", {"email": "x@example.org\r\nBcc: y@example.org"})
    assert response.status_code == 400
    assert "line breaks" in response.content.decode()


def test_the_page_renders(client: Client) -> None:
    assert "Get a new link" in client.get("/link/").content.decode()
