"""Seed papers as people paste them, reduced to the catalogue's base arXiv id. No Django."""

from __future__ import annotations

import re

from ranking.identifiers import parse_arxiv_id as _parse

MAX_LENGTH = 200
# Browser address bars add these; ranking.identifiers knows the id and URL forms themselves.
_URL_TAIL = re.compile(r"[?#].*$")
_HTML_URL = re.compile(r"^(https?://(?:www\.)?arxiv\.org/)html/", re.IGNORECASE)


class InvalidArxivIdError(ValueError):
    """The text is not an arXiv id or an arxiv.org abs/pdf URL."""


def parse_arxiv_id(text: str) -> str:
    """Base id (no version) of `2401.01234v2`, `math.GT/0309136`, `arXiv:…` or an arXiv URL."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_LENGTH:
        raise InvalidArxivIdError(text)
    candidate = _HTML_URL.sub(r"\1abs/", _URL_TAIL.sub("", candidate)).rstrip("/")
    parsed = _parse(candidate)
    if parsed is None:
        raise InvalidArxivIdError(text)
    return parsed.base
