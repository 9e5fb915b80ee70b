"""arXiv ids: their grammar, and seed papers as people paste them, reduced to the catalogue's
base id. No Django.

The grammar (`match_arxiv_id`) lives here, in the bottom layer, because both sides read arXiv
ids: the sign-up form checks the ids people paste (subscriptions/fields.py) and the catalogue
builds canonical ids from its sources (ranking.identifiers.parse_arxiv_id is this function).
An app imports only from the apps below it (docs/architecture.md).
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_LENGTH = 200
# New-style ids (0704.0001 onwards: 4+4 digits until 2014, 4+5 since) and legacy ids
# (archive[.SUBJECT]/YYMMNNN), each with an optional version suffix.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7})"
_ARXIV_ID = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|oai:arxiv\.org:|arxiv:)",
    re.IGNORECASE,
)
# Browser address bars add these to the id and URL forms above.
_URL_TAIL = re.compile(r"[?#].*$")
_HTML_URL = re.compile(r"^(https?://(?:www\.)?arxiv\.org/)html/", re.IGNORECASE)


class ArxivId(NamedTuple):
    base: str
    version: int | None


def match_arxiv_id(text: str) -> ArxivId | None:
    """The base id and version of an arXiv id, abs/pdf URL or OAI identifier; None if not one."""
    candidate = _ARXIV_PREFIX.sub("", text.strip())
    candidate = candidate.removesuffix(".pdf")
    match = _ARXIV_ID.fullmatch(candidate)
    if match is None:
        return None
    if match["new"]:
        base = match["new"]
    else:
        archive, number = match["old"].split("/")
        # The archive is lower case; a subject class ("GT" in math.GT) is upper case.
        name, _, subject = archive.partition(".")
        base = (
            f"{name.lower()}.{subject.upper()}/{number}" if subject else f"{name.lower()}/{number}"
        )
    version = int(match["version"]) if match["version"] else None
    return ArxivId(base, version)


class InvalidArxivIdError(ValueError):
    """The text is not an arXiv id or an arxiv.org abs/pdf URL."""


def parse_arxiv_id(text: str) -> str:
    """Base id (no version) of `2401.01234v2`, `math.GT/0309136`, `arXiv:…` or an arXiv URL."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_LENGTH:
        raise InvalidArxivIdError(text)
    candidate = _HTML_URL.sub(r"\1abs/", _URL_TAIL.sub("", candidate)).rstrip("/")
    parsed = match_arxiv_id(candidate)
    if parsed is None:
        raise InvalidArxivIdError(text)
    return parsed.base
