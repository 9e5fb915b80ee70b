from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from emails.models import Digest, LinkEvent
from emails.services.digest import build_digest
from emails.services.preview import PREVIEW_LABEL, preview_items
from subscriptions.models import Subscriber
from tests.emails.conftest import DAY, items_for
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def catalogue(settings, model_dir: Path) -> None:
    """The demo corpus plus three papers: the ranking needs a real catalogue to calibrate."""
    settings.RANKING_MODEL_DIR = model_dir
    call_command("load_demo_papers", stdout=StringIO())
    PaperFactory(
        title="Dense retrieval for science",
        abstract="Dual encoders retrieve scientific papers for a query better than BM25.",
        categories=["cs.IR"],
        upvotes=9,
    )
    PaperFactory(title="Graph neural network message passing", abstract="graphs")
    PaperFactory(title="Unrelated cooking paper", abstract="soup", categories=["physics"])


def test_the_preview_ranks_with_the_nightly_code_and_says_why(
    subscriber: Subscriber, catalogue: None
) -> None:
    items = preview_items(subscriber)
    titles = [item.paper.title for item in items]
    assert "Unrelated cooking paper" not in titles[:1]
    assert "Dense retrieval for science" in titles
    assert all(item.explanation and item.interest for item in items)


def test_admin_previews_a_subscribers_next_digest_without_saving(
    admin_client: Client, subscriber: Subscriber, catalogue: None
) -> None:
    response = admin_client.get("/admin/emails/digest/preview/", {"email": "ADA@example.org"})
    assert response.status_code == 200
    content = response.content.decode()
    assert PREVIEW_LABEL[:40] in content
    assert "new papers" in content
    assert "srcdoc=" in content
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "List-Unsubscribe-Post" in content
    assert "Dense retrieval for science" in content
    assert not Digest.objects.exists()
    assert not LinkEvent.objects.exists()


def test_admin_preview_says_when_there_is_no_such_subscriber(admin_client: Client) -> None:
    response = admin_client.get("/admin/emails/digest/preview/", {"email": "nobody@example.org"})
    assert b"No subscriber with this address." in response.content


def test_admin_preview_needs_staff(client: Client) -> None:
    response = client.get("/admin/emails/digest/preview/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_shows_a_stored_digest_and_lists_the_ledger(
    admin_client: Client, subscriber: Subscriber
) -> None:
    build_digest(subscriber, DAY, items_for([PaperFactory(title="Stored paper")]))
    digest = Digest.objects.get()
    assert b"Stored paper" in admin_client.get(f"/admin/emails/digest/{digest.pk}/email/").content
    listing = admin_client.get("/admin/emails/digest/")
    assert listing.status_code == 200
    assert b"Preview a subscriber's next digest" in listing.content
    assert admin_client.get(f"/admin/emails/digest/{digest.pk}/change/").status_code == 200


def test_the_command_prints_the_preview(
    subscriber: Subscriber, catalogue: None, tmp_path: Path
) -> None:
    out = StringIO()
    call_command(
        "preview_digest", "ada@example.org", "--html", str(tmp_path / "d.html"), stdout=out
    )
    text = out.getvalue()
    assert "Subject: " in text
    assert " new papers: " in text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    assert "* Dense retrieval for science" in text
    assert text.strip().splitlines()[-1].startswith("preview_digest: ")
    assert "Dense retrieval for science" in (tmp_path / "d.html").read_text()
    assert not Digest.objects.exists()


def test_the_command_nudges_a_subscriber_without_interests() -> None:
    SubscriberFactory(email="blank@example.org", keywords=[])
    out = StringIO()
    call_command("preview_digest", "blank@example.org", stdout=out)
    assert "What should Paperboy find for you?" in out.getvalue()


def test_the_command_rejects_an_unknown_address() -> None:
    with pytest.raises(CommandError, match="No subscriber"):
        call_command("preview_digest", "nobody@example.org")


def test_preview_links_can_never_record_anything(
    client: Client, subscriber: Subscriber, catalogue: None
) -> None:
    out = StringIO()
    call_command("preview_digest", "ada@example.org", stdout=out)
    more = next(line for line in out.getvalue().splitlines() if "More like this:" in line)
    path = "/" + more.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 400
    assert not Subscriber.objects.get().feedback.exists()
