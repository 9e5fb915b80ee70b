from __future__ import annotations

import mailbox
from email.message import EmailMessage

import pytest


@pytest.fixture
def caught(settings, tmp_path):
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    box = mailbox.Maildir(settings.MAIL_CATCHER_DIR)
    message = EmailMessage()
    message["Subject"], message["To"] = "Your digest", "reader@example.org"
    message["From"], message["Date"] = "paperboy@localhost", "Thu, 26 Nov 2026 06:00:00 +0000"
    message.set_content("plain text body")
    message.add_alternative("<p>html body<script>alert(1)</script></p>", subtype="html")
    return box.add(message)


def test_it_lists_and_shows_caught_mail(client, caught) -> None:
    listing = client.get("/dev/mail/")
    assert "Your digest" in listing.text
    detail = client.get(f"/dev/mail/{caught}/")
    assert "plain text body" in detail.text


def test_it_serves_the_html_part_sandboxed(client, caught) -> None:
    response = client.get(f"/dev/mail/{caught}/html/")
    assert "html body" in response.text
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_links_in_a_caught_email_open_in_a_new_tab(client, settings, tmp_path) -> None:
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    message = EmailMessage()
    message["Subject"], message["To"] = "Confirm", "reader@example.org"
    message.set_content("plain")
    html = '<html><head lang="en"><base target="_self"></head><body><a href="/x/">x</a></body>'
    message.add_alternative(html, subtype="html")
    key = mailbox.Maildir(settings.MAIL_CATCHER_DIR).add(message)
    response = client.get(f"/dev/mail/{key}/html/")
    # Ours comes first: the first <base> with a target is the one that counts.
    assert '<head lang="en"><base target="_blank"><base target="_self">' in response.text
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-popups allow-popups-to-escape-sandbox;")
    assert "allow-scripts" not in policy
    assert "allow-top-navigation" not in policy
    detail = client.get(f"/dev/mail/{key}/")
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in detail.text


def test_it_is_off_without_a_mail_catcher(client, settings) -> None:
    settings.MAIL_CATCHER_DIR = None
    assert client.get("/dev/mail/").status_code == 404


def test_it_answers_404_for_an_unknown_message(client, caught) -> None:
    assert client.get("/dev/mail/nope/").status_code == 404
