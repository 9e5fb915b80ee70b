from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from subscriptions.models import Topic
from tests.factories import TopicFactory


@pytest.fixture
def topic() -> Topic:
    return TopicFactory(name="Graph learning", slug="graph-learning")


def mail_parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def link_in(text: str, path: str) -> str:
    """The first absolute URL in `text` whose path starts with `path` (e.g. "/confirm/")."""
    match = re.search(rf"https?://[^\s<>\"]+{re.escape(path)}[^\s<>\"]+", text)
    assert match, f"no {path} link in:\n{text}"
    return match.group(0)
