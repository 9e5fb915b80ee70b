from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from emails.links import LinkBuilder
from emails.models import Digest, LinkEvent
from emails.services.digest import build_digest
from ranking.models import Paper, SubscriberModel
from subscriptions.models import Feedback, Subscriber
from tests.emails.conftest import DAY, items_for, links, parts
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback_links(subscriber: Subscriber, papers: list[Paper]) -> dict[str, list[str]]:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    html = parts(message)[1]
    return {kind: [urlsplit(u).path for u in links(html, kind)] for kind in ("more", "less")}


@pytest.fixture(autouse=True)
def today() -> object:
    with time_machine.travel(DAY, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("kind", ["more", "less"])
def test_opening_a_feedback_link_only_asks(
    client: Client, feedback_links: dict[str, list[str]], papers: list[Paper], kind: str
) -> None:
    response = client.get(feedback_links[kind][0], HTTP_USER_AGENT="Barracuda link scanner")
    assert response.status_code == 200
    assert papers[0].title.encode() in response.content
    assert b'<form method="post"' in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert not Feedback.objects.exists()
    assert not LinkEvent.objects.exists()


@pytest.mark.parametrize(("kind", "stored"), [("more", "liked"), ("less", "disliked")])
def test_confirming_records_feedback(
    client: Client,
    feedback_links: dict[str, list[str]],
    papers: list[Paper],
    subscriber: Subscriber,
    kind: str,
    stored: str,
) -> None:
    response = client.post(feedback_links[kind][2])
    assert response.status_code == 200
    assert b"Thanks, noted" in response.content
    feedback = Feedback.objects.get()
    assert (feedback.subscriber, feedback.paper, feedback.kind) == (subscriber, papers[2], stored)
    event = LinkEvent.objects.get()
    assert (event.kind, event.paper, event.digest) == (kind, papers[2], Digest.objects.get())


@pytest.mark.parametrize("done", [False, True])
def test_open_the_paper_reaches_the_papers_own_page_without_a_publisher_url(
    client: Client, subscriber: Subscriber, done: bool
) -> None:
    paper = PaperFactory(abs_url="", pdf_url="")
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    [more] = (urlsplit(u).path for u in links(parts(message)[1], "more"))
    response = client.post(more) if done else client.get(more)
    own_page = f'href="http://testserver/papers/{paper.canonical_id}/"'
    assert own_page.encode() in response.content


def test_a_change_of_mind_updates_the_one_feedback_row(
    client: Client, feedback_links: dict[str, list[str]]
) -> None:
    client.post(feedback_links["more"][0])
    client.post(feedback_links["more"][0])
    client.post(feedback_links["less"][0])
    assert list(Feedback.objects.values_list("kind", flat=True)) == ["disliked"]
    assert LinkEvent.objects.count() == 3


def test_confirming_needs_the_pages_csrf_token(feedback_links: dict[str, list[str]]) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(feedback_links["less"][0]).status_code == 403
    page = strict.get(feedback_links["less"][0])
    token = page.context["csrf_token"]
    assert strict.post(feedback_links["less"][0], {"csrfmiddlewaretoken": token}).status_code == 200
    assert Feedback.objects.get().kind == "disliked"


def test_feedback_refits_the_subscribers_model_after_commit(
    client: Client,
    feedback_links: dict[str, list[str]],
    subscriber: Subscriber,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
) -> None:
    settings.RANKING_MODEL_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(feedback_links["more"][0])
    assert not SubscriberModel.objects.exists()  # not before the feedback is committed
    for callback in callbacks:
        callback()
    assert SubscriberModel.objects.filter(subscriber=subscriber).exists()


def test_an_expired_link_gets_a_clear_page_and_records_nothing(
    client: Client, feedback_links: dict[str, list[str]], today
) -> None:
    today.shift(timedelta(days=181))
    for method in (client.get, client.post):
        response = method(feedback_links["less"][0])
        assert response.status_code == 400
        assert b"This link has expired" in response.content
    assert not Feedback.objects.exists()
    assert not LinkEvent.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_gets_a_clear_page_and_records_nothing(
    client: Client, feedback_links: dict[str, list[str]], method: str
) -> None:
    path = feedback_links["less"][0]
    token = path.split("/")[2]
    tampered = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    response = getattr(client, method)(tampered)
    assert response.status_code == 400
    assert b"This link is not valid" in response.content
    assert not Feedback.objects.exists()
    assert not LinkEvent.objects.exists()


def test_feedback_for_a_paper_never_sent_is_rejected(
    client: Client, feedback_links: dict[str, list[str]], subscriber: Subscriber
) -> None:
    never_sent = PaperFactory()
    digest = Digest.objects.get()
    _, _, less = LinkBuilder().paper_urls(digest.pk, never_sent.pk, subscriber.token_version)
    response = client.post(urlsplit(less).path)
    assert response.status_code == 400
    assert b"never part of the digest" in response.content
    assert not Feedback.objects.exists()


def test_another_subscribers_digest_id_does_not_help(
    client: Client, feedback_links: dict[str, list[str]], papers: list[Paper]
) -> None:
    other = build_digest(
        Subscriber.objects.create(email="eve@example.org", status="active", keywords=["x"]),
        DAY,
        items_for([PaperFactory()]),
    )
    assert other is not None
    eve_digest = Digest.objects.get(subscriber__email="eve@example.org")
    _, _, less = LinkBuilder().paper_urls(eve_digest.pk, papers[0].pk, 1)
    assert client.post(urlsplit(less).path).status_code == 400
    assert not Feedback.objects.exists()
