"""Every page we serve works under the Content Security Policy: nothing is blocked in Chromium."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from emails.models import NightlyRun
from subscriptions.tokens import make_token
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page: Page) -> Iterator[list[str]]:
    """Console errors from the CSP ("Refused to ...") and securitypolicyviolation events."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Refused to use ' + e.blockedURI + ' (' + e.violatedDirective + ')'))"
    )
    return found


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url


def test_public_pages_work_under_the_policy(
    page: Page, live_server, settings, violations: list[str]
) -> None:
    settings.SITE_URL = live_server.url
    paper = PaperFactory(title="Dense retrieval at scale", upvotes=7)
    subscriber = SubscriberFactory()
    base = live_server.url
    for path in [
        "/",
        "/search/?q=retrieval",
        f"/papers/{paper.canonical_id}/",
        f"/manage/{make_token('manage', subscriber.pk, subscriber.token_version)}/",
        f"/unsubscribe/{make_token('unsubscribe', subscriber.pk, subscriber.token_version)}/",
    ]:
        visit(page, base + path)
    # The day picker's script (a static file now, not an inline handler) still navigates.
    day = timezone.now().date()
    visit(page, f"{base}/day/{day.isoformat()}/")
    with page.expect_navigation():
        page.locator("#day-pick").fill((day.replace(day=1)).isoformat())
    assert "day=" in page.url or "/day/" in page.url
    # Sign-up posts and lands on "check your inbox".
    visit(page, base + "/")
    page.get_by_label("Email address").first.fill("csp@example.org")
    page.get_by_role("button", name="Subscribe").first.click()
    expect(page).to_have_url(f"{base}/check-your-inbox/")
    assert violations == []


def test_admin_pages_work_under_the_policy(page: Page, live_server, violations: list[str]) -> None:
    get_user_model().objects.create_superuser("boss", "boss@example.org", "right-pw-123")
    SubscriberFactory.create_batch(2)
    NightlyRun.objects.create(slot=timezone.now().replace(minute=0, second=0, microsecond=0))
    base = live_server.url
    visit(page, base + "/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("right-pw-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    for path in [
        "/admin/emails/nightlyrun/",
        "/admin/subscriptions/subscriber/",
        "/admin/emails/digest/preview/",
        "/admin/subscriptions/subscriber/add/",
    ]:
        visit(page, base + path)
    visit(page, base + "/admin/emails/nightlyrun/")
    # The chart's bars are styled by the admin-extra stylesheet, not inline styles.
    bar = page.locator("#activity-chart svg.pb-bar").first
    assert bar.bounding_box() is not None
    assert bar.bounding_box()["height"] == 10
    assert violations == []


def test_the_dev_mail_catcher_works_under_the_policy(
    page: Page, live_server, settings, tmp_path, violations: list[str]
) -> None:
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    message = EmailMessage()
    message["Subject"], message["To"] = "Your digest", "reader@example.org"
    message["From"], message["Date"] = "paperboy@localhost", "Thu, 26 Nov 2026 06:00:00 +0000"
    message.set_content("plain text body")
    message.add_alternative('<p style="color:#123456">styled html body</p>', subtype="html")
    key = mailbox.Maildir(settings.MAIL_CATCHER_DIR).add(message)
    visit(page, live_server.url + "/dev/mail/")
    visit(page, f"{live_server.url}/dev/mail/{key}/")
    # The message's own inline styles still apply inside its sandboxed frame.
    frame = page.frame_locator("iframe.mail")
    expect(frame.get_by_text("styled html body")).to_have_css("color", "rgb(18, 52, 86)")
    assert violations == []
