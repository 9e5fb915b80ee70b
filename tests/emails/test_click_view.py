from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from emails.links import LinkBuilder
from emails.models import Digest, LinkEvent
from emails.services.digest import build_digest
from ranking.models import Paper
from subscriptions.models import Subscriber
from subscriptions.services.preferences import revoke_links
from tests.emails.conftest import DAY, items_for, links, parts
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest_links(subscriber: Subscriber, papers: list[Paper]) -> list[str]:
    """Paths of the click links of a digest of `papers`, in order."""
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    return [urlsplit(url).path for url in links(parts(message)[1], "click")]


@time_machine.travel(DAY, tick=False)
def test_it_records_the_click_and_redirects_to_the_paper(
    client: Client, digest_links: list[str], papers: list[Paper]
) -> None:
    response = client.get(digest_links[1], HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 500)
    assert response.status_code == 302
    assert response["Location"] == "https://arxiv.org/abs/2611.00002"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    event = LinkEvent.objects.get()
    assert (event.kind, event.paper, event.digest) == ("click", papers[1], Digest.objects.get())
    assert event.user_agent.startswith("Mozilla/5.0 ")
    assert len(event.user_agent) == 200


@pytest.mark.parametrize(
    "query",
    [
        "?next=https://evil.example/",
        "?url=//evil.example",
        "?redirect=javascript:alert(1)",
        "?abs_url=https://evil.example",
    ],
)
def test_it_ignores_any_target_in_the_query_string(
    client: Client, digest_links: list[str], query: str
) -> None:
    response = client.get(digest_links[0] + query)
    assert response["Location"] == "https://arxiv.org/abs/2611.00001"


def test_it_sends_a_paper_without_a_publisher_url_to_its_own_page(
    client: Client, subscriber: Subscriber
) -> None:
    demo_like = PaperFactory(abs_url="", pdf_url="")
    hostile = PaperFactory(abs_url="javascript:alert(1)", pdf_url="https://arxiv.org/pdf/1")
    message = build_digest(subscriber, DAY, items_for([demo_like, hostile]))
    assert message is not None
    first, second = (urlsplit(u).path for u in links(parts(message)[1], "click"))
    target = client.get(first)["Location"]
    assert target == f"http://testserver/papers/{demo_like.canonical_id}/"
    assert client.get(target).status_code == 200
    assert client.get(second)["Location"] == "https://arxiv.org/pdf/1"


@pytest.mark.parametrize("canonical_id", ["title:bd180e442706b8db", "doi:10.1000/xyz"])
def test_a_doi_or_title_only_paper_lands_on_its_page(
    client: Client, subscriber: Subscriber, canonical_id: str
) -> None:
    paper = PaperFactory(canonical_id=canonical_id, title="Only known by its id")
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    [click] = (urlsplit(u).path for u in links(parts(message)[1], "click"))
    target = client.get(click)["Location"]
    assert target == f"http://testserver/papers/{canonical_id}/"
    page = client.get(target)
    assert page.status_code == 200
    assert b"Only known by its id" in page.content


def test_a_head_request_redirects_without_counting(client: Client, digest_links: list[str]) -> None:
    assert client.head(digest_links[0]).status_code == 302
    assert not LinkEvent.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda path: path.replace("/r/", "/r/x"),
        lambda path: path[:-10] + "/",
        lambda path: "/r/" + "A" * 190 + "/",
    ],
)
def test_a_tampered_link_gets_a_clear_page_and_records_nothing(
    client: Client, digest_links: list[str], mangle
) -> None:
    response = client.get(mangle(digest_links[0]))
    assert response.status_code == 400
    assert b"This link is not valid" in response.content
    assert b"Nothing was recorded" in response.content
    assert not LinkEvent.objects.exists()


def test_a_link_for_a_paper_never_in_the_digest_is_rejected(
    client: Client, digest_links: list[str], subscriber: Subscriber
) -> None:
    other = PaperFactory(abs_url="https://evil.example/")
    digest = Digest.objects.get()
    click, _, _ = LinkBuilder().paper_urls(digest.pk, other.pk, subscriber.token_version)
    response = client.get(urlsplit(click).path)
    assert response.status_code == 400
    assert b"never part of the digest" in response.content
    assert not LinkEvent.objects.exists()


def test_revoked_links_stop_working(
    client: Client, digest_links: list[str], subscriber: Subscriber
) -> None:
    revoke_links(subscriber)
    response = client.get(digest_links[0])
    assert response.status_code == 400
    assert b"no longer valid" in response.content
    assert not LinkEvent.objects.exists()


def test_an_old_link_still_opens_the_paper_but_is_not_counted(
    client: Client, digest_links: list[str]
) -> None:
    with time_machine.travel(DAY + timedelta(days=400)):
        response = client.get(digest_links[0])
    assert response["Location"] == "https://arxiv.org/abs/2611.00001"
    assert not LinkEvent.objects.exists()
