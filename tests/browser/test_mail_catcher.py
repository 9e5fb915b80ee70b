"""The quick start's confirm step in the local mail catcher: a click on the link in a caught
confirmation email opens the confirm page in a new tab (the app refuses to be framed, so a link
followed inside the catcher's frame would show an error)."""

from __future__ import annotations

import mailbox

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from subscriptions.models import Subscriber
from subscriptions.services.signup import send_confirmation
from tests.factories import SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_confirm_link_of_a_caught_email_opens_the_confirm_page_in_a_new_tab(
    page: Page, live_server, settings, tmp_path
) -> None:
    settings.SITE_URL = live_server.url
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    reader = SubscriberFactory(email="ada@example.org", status="pending", confirmed_at=None)
    assert send_confirmation(reader.pk, timezone.now())
    mailbox.Maildir(settings.MAIL_CATCHER_DIR).add(mail.outbox[0].message().as_bytes())

    page.goto(live_server.url + "/dev/mail/")
    page.get_by_role("link", name="Confirm your Paperboy subscription").click()
    link = page.frame_locator("iframe.mail").get_by_role("link", name="Confirm my subscription")
    with page.context.expect_page(timeout=10_000) as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{live_server.url}/confirm/")
    expect(tab.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/dev/mail/")  # the catcher stays put
    # The new tab is an ordinary page of the site, not a sandboxed one: its form works.
    tab.get_by_role("button", name="Confirm").click()
    expect(tab.get_by_role("heading", name="You're subscribed")).to_be_visible()
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE
