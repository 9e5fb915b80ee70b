"""`{{ paper.pdf_url|web_url }}`: a stored URL, or "" if it is not an http(s) link."""

from __future__ import annotations

from django import template

from ranking.identifiers import safe_url

register = template.Library()


@register.filter
def web_url(value: object) -> str:
    # Sources are checked as records are built (ranking.sources.base.PaperRecord), but a row
    # stored before that check, or edited in the admin, may still hold a "javascript:" URL.
    return safe_url(value) if isinstance(value, str) else ""
