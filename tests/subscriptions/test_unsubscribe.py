from __future__ import annotations

import pytest
from django.test import Client

from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.links import (
    confirm_url,
    list_unsubscribe_headers,
    manage_url,
    unsubscribe_url,
)
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_get_shows_a_button_and_changes_nothing(client: Client) -> None:
    subscriber = SubscriberFactory()
    response = client.get(path_of(unsubscribe_url(subscriber)))
    assert response.status_code == 200
    assert "Unsubscribe from Paperboy?" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_one_click_post_works_without_cookies_or_csrf_and_never_redirects() -> None:
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(unsubscribe_url(subscriber)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You're unsubscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    event = AuditEvent.objects.get(action="unsubscribed")
    assert event.details == {"via": "one_click"}


def test_it_is_idempotent() -> None:
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)
    url = path_of(unsubscribe_url(subscriber))
    assert client.post(url).status_code == 200
    subscriber.refresh_from_db()
    first = subscriber.unsubscribed_at
    assert client.post(url).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == first
    assert AuditEvent.objects.filter(action="unsubscribed").count() == 1


@pytest.mark.parametrize("make_url", [manage_url, confirm_url])
def test_a_link_for_another_purpose_cannot_unsubscribe(make_url) -> None:
    subscriber = SubscriberFactory()
    token = path_of(make_url(subscriber)).split("/")[2]
    response = Client(enforce_csrf_checks=True).post(f"/unsubscribe/{token}/")
    assert response.status_code == 403
    assert "This link is not valid for this action" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_garbage_token_gets_a_clear_page() -> None:
    response = Client().post("/unsubscribe/not-a-token/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_other_methods_are_refused() -> None:
    subscriber = SubscriberFactory()
    assert Client().put(path_of(unsubscribe_url(subscriber))).status_code == 405


def test_headers_for_bulk_mail_follow_rfc_8058() -> None:
    subscriber = SubscriberFactory()
    headers = list_unsubscribe_headers(subscriber)
    assert headers["List-Unsubscribe"] == f"<{unsubscribe_url(subscriber)}>"
    assert headers["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
