"""Confirmation and manage-link mail respect suppression, and the person is told plainly."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from emails.models import Suppression
from emails.services.suppression import suppress_address
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.links import manage_url
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def post(client: Client, capture: Any, path: str, **data: Any) -> Any:
    with capture(execute=True):
        return client.post(path, data)


@pytest.mark.parametrize("reason", [Suppression.Reason.HARD_BOUNCE, Suppression.Reason.COMPLAINT])
def test_sign_up_of_a_suppressed_address_sends_nothing(
    client: Client, smtp_server, django_capture_on_commit_callbacks, reason: str
) -> None:
    suppress_address("Gone@Example.org", reason)
    response = post(
        client, django_capture_on_commit_callbacks, "/", email="gone@example.org", keywords="x"
    )
    assert response.status_code == 302  # the same page as for anyone: no enumeration
    assert smtp_server.messages == []
    subscriber = Subscriber.objects.get()
    assert AuditEvent.objects.filter(subscriber=subscriber, action="mail_suppressed").exists()
    page = client.get(response["Location"]).content.decode()
    assert "bounced or was reported as spam" in page


def test_a_fresh_link_is_not_mailed_to_a_suppressed_address(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    SubscriberFactory(email="gone@example.org")
    suppress_address("gone@example.org", Suppression.Reason.HARD_BOUNCE)
    post(client, django_capture_on_commit_callbacks, "/", email="gone@example.org")
    post(client, django_capture_on_commit_callbacks, "/link/", email="gone@example.org")
    assert smtp_server.messages == []


def test_the_preference_centre_says_why_no_mail_comes(client: Client) -> None:
    subscriber = SubscriberFactory()
    suppress_address(subscriber.email, Suppression.Reason.COMPLAINT)
    html = client.get(manage_url(subscriber).removeprefix("http://testserver")).content.decode()
    assert "no longer sends mail to this address" in html
    assert "reported as spam" in html


def test_an_unsuppressed_sign_up_still_gets_its_confirmation(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    suppress_address("someone-else@example.org", Suppression.Reason.HARD_BOUNCE)
    post(client, django_capture_on_commit_callbacks, "/", email="fine@example.org", keywords="x")
    assert [m["To"] for m in smtp_server.messages] == ["fine@example.org"]
