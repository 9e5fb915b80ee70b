"""The confirmation and manage-link emails repeat every interest the subscriber gave, in the
sign-up form's words: topics, keywords, what they are not interested in, categories, the
papers they chose (by title when the catalogue knows them) and authors."""

from __future__ import annotations

import html as html_lib

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.models import Subscriber
from subscriptions.services.signup import send_confirmation, send_manage_link
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db

EXPECTED = [
    "Topics: Graph learning",
    "Keywords: dense retrieval, graph neural networks",
    "Not interested in: quantum, <blockchain>",
    "arXiv categories: cs.LG, stat.ML",
    "Papers like these: Attention Is All You Need; 2401.01234",
    "Authors to follow: Curie, Marie; Alan Turing",
]


def reader(status: str) -> Subscriber:
    PaperFactory(canonical_id="1706.03762", title="Attention Is All You Need")
    subscriber = SubscriberFactory(
        status=status,
        keywords=["dense retrieval", "graph neural networks"],
        negative_keywords=["quantum", "<blockchain>"],
        categories=["cs.LG", "stat.ML"],
        seed_paper_ids=["1706.03762", "2401.01234"],  # the second is not in the catalogue
        authors=["Curie, Marie", "Alan Turing"],
    )
    subscriber.topics.add(TopicFactory(name="Graph learning", slug="graph-learning"))
    subscriber.topics.add(TopicFactory(name="Retired topic", slug="retired", active=False))
    return subscriber


def parts() -> tuple[str, str]:
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    return message.body, html_lib.unescape(" ".join(html.split()))


def test_the_confirmation_email_lists_every_kind_of_interest() -> None:
    subscriber = reader("pending")
    assert send_confirmation(subscriber.pk, timezone.now())
    text, html = parts()
    for line in EXPECTED:
        assert line in text
        assert line in html
    assert "Retired topic" not in text  # an inactive topic picks nothing: not an interest
    assert "&lt;blockchain&gt;" in mail.outbox[0].alternatives[0][0]  # escaped in HTML only


def test_the_manage_link_email_lists_them_too() -> None:
    subscriber = reader("active")
    assert send_manage_link(subscriber.pk, timezone.now())
    text, html = parts()
    for line in EXPECTED:
        assert line in text
        assert line in html


def test_a_subscriber_without_interests_gets_no_empty_list() -> None:
    subscriber = SubscriberFactory(status="pending", keywords=[])
    assert send_confirmation(subscriber.pk, timezone.now())
    text, html = parts()
    assert "Your interests" not in text
    assert "Your interests" not in html
    assert "Keywords:" not in text
