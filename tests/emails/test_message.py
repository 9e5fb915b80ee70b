from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail

from emails.message import build_email, inline_css

TEMPLATES = Path(__file__).parent / "templates_for_tests"


@pytest.fixture
def sample_templates(settings) -> None:
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEMPLATES]}]


def test_it_renders_three_parts_inlines_css_and_adds_headers(sample_templates) -> None:
    message = build_email(
        "emails/sample",
        "ada@example.org",
        {"name": "Ada <admin>", "subject_extra": "line\nbreak"},
        {"List-Unsubscribe": "<https://example.org/u/1/>"},
    )
    assert message.subject == "Hello Ada <admin> line break"
    assert message.to == ["ada@example.org"]
    assert message.extra_headers["List-Unsubscribe"] == "<https://example.org/u/1/>"
    assert "Hi Ada <admin>," in message.body  # plain text is not HTML-escaped
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Ada &lt;admin&gt;" in html
    assert '<td class="content" style="' in html  # base.html rules inlined
    assert "prefers-color-scheme: dark" in html  # media queries kept in a <style> block
    assert 'class="preheader"' in html


def test_it_sends_through_the_configured_backend(sample_templates) -> None:
    build_email("emails/sample", "ada@example.org", {"name": "Ada"}).send()
    assert len(mail.outbox) == 1


def test_inlining_never_fetches_external_stylesheets() -> None:
    html = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        "<style>p { color: red }</style></head><body><p>Hi</p></body></html>"
    )
    result = inline_css(html)
    assert '<p style="color:red">Hi</p>' in result
