"""The whole subscriber journey in a real Chromium, with mail through a real SMTP server."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from subscriptions.models import Subscriber
from tests.browser.shots import screenshot_dir
from tests.factories import PaperFactory, TopicFactory
from tests.subscriptions.conftest import link_in, mail_parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = screenshot_dir()


def shoot(page: Page, mobile_page: Page, url: str, name: str) -> None:
    """Desktop and 390x844 mobile screenshots of `url` (mobile only looks; it clicks nothing)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    mobile_page.goto(url)
    mobile_page.screenshot(path=SCREENSHOTS / f"{name}-mobile.png", full_page=True)


@pytest.fixture
def site(live_server, settings, smtp_server):
    settings.SITE_URL = live_server.url
    for n, (name, slug) in enumerate(
        [
            ("Large language models", "llms"),
            ("Computer vision", "computer-vision"),
            ("Reinforcement learning", "reinforcement-learning"),
            ("Robotics", "robotics"),
            ("Information retrieval & search", "information-retrieval"),
            ("Quantum computing", "quantum"),
        ]
    ):
        TopicFactory(name=name, slug=slug, position=n)
    PaperFactory(
        title="Attention Is All You Need",
        canonical_id="1706.03762",
        upvotes=120,
        categories=["cs.CL", "cs.LG"],
    )
    PaperFactory(
        title="Dense Passage Retrieval for Open-Domain QA", upvotes=42, categories=["cs.IR"]
    )
    return live_server


def test_sign_up_confirm_manage_and_one_click_unsubscribe(
    page: Page, mobile_page: Page, site, smtp_server
) -> None:
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("Grace@Example.org")
    # Scoped to the form: the trending list below it links the same topics by name.
    form = page.locator("form.signup-form")
    form.get_by_text("Robotics").click()
    form.get_by_text("Information retrieval & search").click()
    page.get_by_text("Fine-tune: keywords").click()
    page.get_by_label("Keywords").fill("legged locomotion, <b>sim2real</b>")
    shoot(page, mobile_page, site.url + "/", "signup")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    shoot(page, mobile_page, page.url, "check-inbox")

    [confirmation] = smtp_server.messages
    text, html = mail_parts(confirmation)
    confirm_link = link_in(text, "/confirm/")
    assert link_in(html, "/confirm/") == confirm_link
    assert "&lt;b&gt;sim2real&lt;/b&gt;" in html
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status) == ("grace@example.org", "pending")
    mobile_page.set_content(html)
    mobile_page.screenshot(path=SCREENSHOTS / "email-confirm-mobile.png", full_page=True)

    page.goto(confirm_link)
    shoot(page, mobile_page, confirm_link, "confirm")
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"  # opening the link (a scanner) confirms nothing
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="You're subscribed")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.status == "active"

    page.get_by_role("link", name="Fine-tune your interests").click()
    expect(page.get_by_role("heading", name="Your subscription")).to_be_visible()
    page.get_by_label("Papers per digest").fill("30")
    page.get_by_label("Not interested in").fill("quantum")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    subscriber.refresh_from_db()
    assert (subscriber.papers_per_digest, subscriber.negative_keywords) == (30, ["quantum"])
    assert subscriber.time_zone == "Europe/Berlin"
    assert sorted(t.slug for t in subscriber.topics.all()) == ["information-retrieval", "robotics"]
    shoot(page, mobile_page, page.url, "manage")

    # Signing up again with a subscribed address mails the manage link, with List-Unsubscribe.
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    manage_mail = smtp_server.messages[1]
    header = str(manage_mail["List-Unsubscribe"]).strip()
    assert manage_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_link = re.fullmatch(r"<(.+)>", header).group(1)

    page.goto(unsubscribe_link)
    shoot(page, mobile_page, unsubscribe_link, "unsubscribe")
    subscriber.refresh_from_db()
    assert subscriber.status == "active"  # GET changes nothing

    # What a mail provider does: a bare POST, no cookies, no CSRF token, no redirects followed.
    request = urllib.request.Request(  # noqa: S310 (the live server's own http URL)
        unsubscribe_link,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 200
        assert response.url == unsubscribe_link
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    page.reload()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    shoot(page, mobile_page, unsubscribe_link, "unsubscribed")

    # No further mail: asking for a link for an unsubscribed address sends nothing.
    page.goto(site.url + "/link/")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert len(smtp_server.messages) == 2


def test_a_bad_sign_up_shows_field_errors(page: Page, mobile_page: Page, site) -> None:
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_text("Fine-tune: keywords").click()
    page.get_by_label("Papers like these").fill("2401.1")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_text("Not valid: '2401.1'.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "signup-errors-desktop.png", full_page=True)
    assert not Subscriber.objects.exists()


def test_admin_lists_subscribers_with_totals_and_escapes_keywords(page: Page, site) -> None:
    from django.contrib.auth.models import User

    from tests.factories import SubscriberFactory

    User.objects.create_superuser("boss", "boss@example.org", "pw-for-tests")
    SubscriberFactory.create_batch(3)
    SubscriberFactory(status=Subscriber.Status.PENDING)
    hostile = SubscriberFactory(email="x@example.org", keywords=["<img src=x onerror=alert(1)>"])
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.url + "/admin/login/?next=/admin/subscriptions/subscriber/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("4 active")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "admin-subscribers-desktop.png", full_page=True)
    page.goto(f"{site.url}/admin/subscriptions/subscriber/{hostile.pk}/change/")
    expect(page.locator("#id_keywords")).to_have_value("<img src=x onerror=alert(1)>")
    assert dialogs == []
