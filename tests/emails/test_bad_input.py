"""Hostile or odd paper text is shown as typed, escaped in HTML, and never breaks the email."""

from __future__ import annotations

import pytest

from emails.services.digest import build_digest
from emails.viewmodel import DigestItem
from ranking.text import clean_text, shorten_authors, trim
from subscriptions.models import Subscriber
from tests.emails.conftest import DAY, items_for, parts
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "html": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "template": "{{ digest.email }} {% now 'Y' %}",
    "percent": "100% of 50%s %(name)s",
    "rtl": "تعلم الآلة العميق עברית",
    "emoji": "🚀 Rocket science 👩‍🔬",
    "latex": r"$\mathcal{O}(n^2)$ bounds for $\alpha$-divergence",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_titles_and_abstracts_are_shown_as_typed(subscriber: Subscriber, name: str) -> None:
    value = HOSTILE[name]
    paper = PaperFactory(title=f"Title {value}", abstract=f"Abstract {value}")
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    text, html = parts(message)
    assert f"* Title {value}\n" in text
    assert f"  Abstract {value}\n" in text
    assert "\n" not in message.subject
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f">Title {escaped}</a>" in html
    assert f">Abstract {escaped}</div>" in html
    assert "<script>" not in html
    assert "<img" not in html
    assert "ada@example.org {%" not in text  # templates never evaluate paper text


def test_an_explanation_and_interest_are_escaped_too(subscriber: Subscriber) -> None:
    paper = PaperFactory()
    items = [
        DigestItem(paper, 1.0, "<b>why</b> & {{ x }}", "<i>a</i>"),
        DigestItem(PaperFactory(), 0.5, "plain", "second"),
    ]
    message = build_digest(subscriber, DAY, items)
    assert message is not None
    text, html = parts(message)
    assert "Why: <b>why</b> & {{ x }}" in text
    assert "&lt;b&gt;why&lt;/b&gt; &amp; {{ x }}" in html
    assert "&lt;i&gt;a&lt;/i&gt;" in html
    assert "<b>why</b>" not in html


def test_a_missing_abstract_leaves_no_empty_block(subscriber: Subscriber) -> None:
    paper = PaperFactory(title="No abstract here", abstract="", authors=[], categories=[])
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    text, html = parts(message)
    assert 'class="abs"' not in html
    assert "* No abstract here\n  " in text
    assert "Why: " in text


def test_3000_authors_are_shortened_in_both_parts(subscriber: Subscriber) -> None:
    paper = PaperFactory(authors=[f"Person {n}" for n in range(3000)])
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    text, html = parts(message)
    for part in (text, html):
        assert "Person 0, Person 1, Person 2 et al." in part
        assert "Person 3" not in part
    assert len(html) < 15_000


def test_control_characters_never_reach_the_email(subscriber: Subscriber) -> None:
    # (NUL is covered without a database: PostgreSQL refuses it in text columns.)
    paper = PaperFactory(title="Bell\x07 and\x0b null\r\nsplit", abstract="tab\there\x1b[31m")
    message = build_digest(subscriber, DAY, items_for([paper]))
    assert message is not None
    text, html = parts(message)
    assert "Bell and null split" in text
    assert "Bell and null split" in html
    assert "\x07" not in text + html
    assert "\x1b" not in text + html


@pytest.mark.parametrize(
    ("authors", "shown"),
    [
        ([], ""),
        (["A"], "A"),
        (["A", "B", "C", "D"], "A, B, C, D"),
        (["A", "B", "C", "D", "E"], "A, B, C et al."),
        ("not a list", ""),
        ([None, 3, "B", "  C  ", "D", "E"], "B, C, D et al."),
        (["X" * 500], "X" * 59 + "…"),
    ],
)
def test_it_shortens_author_lists(authors: object, shown: str) -> None:
    assert shorten_authors(authors) == shown


def test_it_trims_at_a_word_boundary() -> None:
    assert trim("short", 10) == "short"
    assert trim("one two three four five", 16) == "one two three…"
    assert trim("x" * 50, 10) == "x" * 9 + "…"
    assert clean_text("  a \n\t b\u2028c  ") == "a b c"
