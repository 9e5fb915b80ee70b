from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from django.core.mail import EmailMultiAlternatives

from emails.render import default_renderer
from emails.viewmodel import DigestItem
from ranking.models import Paper
from subscriptions.models import Subscriber
from tests.emails.delivery import DAY
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

__all__ = ["DAY"]  # the day of the delivery tests, from tests/emails/delivery.py


@pytest.fixture(autouse=True)
def _fresh_renderer() -> Iterator[None]:
    """Fragment caches key on paper content; clear them so tests never share pieces."""
    default_renderer().clear()
    yield
    default_renderer().clear()


@pytest.fixture
def subscriber() -> Subscriber:
    reader = SubscriberFactory(
        email="ada@example.org", keywords=["retrieval", "graph neural network"]
    )
    reader.topics.add(TopicFactory(name="Machine learning", slug="ml"))
    return reader


@pytest.fixture
def papers() -> list[Paper]:
    return [
        PaperFactory(
            title=f"Dense retrieval trick {n}",
            abs_url=f"https://arxiv.org/abs/2611.0000{n}",
            upvotes=40 + n if n % 2 else None,
        )
        for n in range(1, 5)
    ]


def items_for(papers: list[Paper], interests: tuple[str, ...] = ("retrieval",)) -> list[DigestItem]:
    return [
        DigestItem(
            paper=paper,
            score=1.0 - n / 100,
            explanation=f"Matches “retrieval”; like paper {n}",
            interest=interests[n % len(interests)],
        )
        for n, paper in enumerate(papers)
    ]


def parts(message: EmailMultiAlternatives | EmailMessage) -> tuple[str, str]:
    """(text, html) of a built or received message."""
    if isinstance(message, EmailMultiAlternatives):
        html = message.alternatives[0][0]
        assert isinstance(html, str)
        return str(message.body), html
    text = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html_part is not None
    return text.get_content(), html_part.get_content()


def links(text: str, kind: str) -> list[str]:
    """Absolute digest links of one kind ("click", "more", "less", "view") in `text`."""
    suffix = {"click": "/", "more": "/more/", "less": "/less/"}.get(kind)
    if kind == "view":
        return re.findall(r"https?://[^\s<>\"]+/digest/[^\s<>\"/]+/", text)
    return re.findall(
        rf"https?://[^\s<>\"]+/r/[^\s<>\"/]+{re.escape(suffix or '')}(?=[\s<\"]|$)", text
    )
