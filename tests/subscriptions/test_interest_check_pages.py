"""The interest check on the sign-up page and in the preference centre: server-rendered, no
JavaScript, nothing saved; on the demo catalogue with the real sentence encoder."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from subscriptions.services.links import manage_url
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(demo_catalogue: None) -> None:
    """Every test here ranks the demo catalogue."""


def test_sign_up_checks_interests_without_subscribing(client: Client) -> None:
    page = client.post(
        reverse("subscriptions:signup"),
        {"action": "check", "email": "", "keywords": "learning\nxyzzyqwv\nvideo generation"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "What your interests would have found" in html
    assert "Too broad:" in html  # "learning" is in most papers
    assert "No match:" in html  # the made-up word
    assert html.count('href="/papers/') >= 1  # example titles link to their papers
    # Checked, not subscribed: no subscriber, no confirmation email, the typed words kept.
    assert not Subscriber.objects.exists()
    assert not mail.outbox
    assert "video generation" in html


def test_the_preference_centre_opens_with_the_check_and_a_check_saves_nothing(
    client: Client,
) -> None:
    reader = SubscriberFactory(keywords=["video generation"])
    html = client.get(manage_url(reader)).content.decode()
    assert "What your interests would have found" in html
    assert "video generation" in html
    page = client.post(
        manage_url(reader), {"action": "check", "keywords": "learning", "papers_per_digest": 20}
    )
    assert page.status_code == 200
    assert "Too broad:" in page.content.decode()
    assert "Checked, not saved" in page.content.decode()
    reader.refresh_from_db()
    assert reader.keywords == ["video generation"]
