from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from subscriptions import tokens
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.links import confirm_url, manage_url, unsubscribe_url
from subscriptions.services.preferences import revoke_links
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def pending() -> Subscriber:
    return SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)


def test_get_shows_a_button_and_confirms_nothing(client: Client, pending) -> None:
    response = client.get(path_of(confirm_url(pending)))
    assert response.status_code == 200
    assert b'<button type="submit" class="btn big">Confirm</button>' in response.content
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Referrer-Policy"] == "same-origin"
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_post_confirms_once(client: Client, pending) -> None:
    url = path_of(confirm_url(pending))
    response = client.post(url)
    assert response.status_code == 200
    assert "You're subscribed" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE
    assert pending.confirmed_at is not None
    first_confirmed = pending.confirmed_at
    assert client.post(url).status_code == 200  # a second click is harmless
    pending.refresh_from_db()
    assert pending.confirmed_at == first_confirmed
    assert AuditEvent.objects.filter(action="confirmed", subscriber=pending).count() == 1


def test_the_confirmed_page_links_to_the_preference_centre(client: Client, pending) -> None:
    html = client.post(path_of(confirm_url(pending))).content.decode()
    assert "/manage/" in html


def test_an_expired_link_offers_a_new_one(client: Client) -> None:
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        subscriber = SubscriberFactory(status=Subscriber.Status.PENDING)
        url = path_of(confirm_url(subscriber))
    with time_machine.travel("2026-01-09 00:00Z", tick=False):
        response = client.post(url)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link has expired" in html
    assert 'action="/link/"' in html
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_tampered_link_is_refused(client: Client, pending) -> None:
    url = path_of(confirm_url(pending))
    response = client.post(url[:-3] + "xx/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


@pytest.mark.parametrize("make_url", [manage_url, unsubscribe_url])
def test_another_purposes_link_cannot_confirm(client: Client, pending, make_url) -> None:
    token = path_of(make_url(pending)).split("/")[2]
    response = client.post(f"/confirm/{token}/")
    assert response.status_code == 403
    assert "This link is not valid for this action" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_revoked_link_is_refused(client: Client, pending) -> None:
    url = path_of(confirm_url(pending))
    revoke_links(pending)
    assert client.post(url).status_code == 400
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_link_for_a_deleted_subscriber_is_refused(client: Client) -> None:
    token = tokens.make_token("confirm", 987654, 1)
    assert client.get(f"/confirm/{token}/").status_code == 400


def test_an_unsubscribed_address_cannot_be_reactivated_by_an_old_link(client: Client) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    response = client.post(path_of(confirm_url(subscriber)))
    assert "unsubscribed since this link was sent" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_confirm_link_opened_again_hands_out_no_manage_link(client: Client, pending) -> None:
    url = path_of(confirm_url(pending))
    assert "/manage/" in client.post(url).content.decode()  # the click that confirmed
    for again in (client.get(url), client.post(url)):
        html = again.content.decode()
        assert again.status_code == 200
        assert "already subscribed" in html
        assert "/manage/" not in html  # a mailbox's old link is no key to the preference centre
        assert "/link/" in html or "ask for a link" in html
