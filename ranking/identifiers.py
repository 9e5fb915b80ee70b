"""Canonical paper identifiers. Pure functions: no Django imports.

A paper's canonical id is, in order of preference: its base arXiv id without version
("2401.01234", "math.GT/0309136"), "doi:<lower-cased DOI>", or "title:<hash of the normalised
title>". Text is never changed by these functions; normalisation is for matching only.
Also here: which URLs from a source may be kept (safe_url).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]")
# A LaTeX accent command ("\'e", "\"{u}", "{\v c}") stands for the plain letter once accents are
# stripped, so "{L}\'evy" and "Lévy" match.
_LATEX_ACCENT = re.compile(r"\\[`'^\"~=.uvHckbdr]\s*\{?\s*([A-Za-z])\s*\}?")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")

# New-style ids (0704.0001 onwards: 4+4 digits until 2014, 4+5 since) and legacy ids
# (archive[.SUBJECT]/YYMMNNN), each with an optional version suffix.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7})"
_ARXIV_ID = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|oai:arxiv\.org:|arxiv:)",
    re.IGNORECASE,
)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# Browsers drop tabs and newlines inside a URL ("java\tscript:"), so a URL holding any control
# character or space is refused whole rather than read the way one browser might.
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
WEB_SCHEMES = frozenset({"http", "https"})


class ArxivId(NamedTuple):
    base: str
    version: int | None


def parse_arxiv_id(text: str) -> ArxivId | None:
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


def normalise_doi(text: str) -> str:
    """A DOI without resolver prefix, lower-cased (DOIs are case-insensitive); "" if not one."""
    doi = _DOI_PREFIX.sub("", text.strip()).strip().lower()
    return doi if _DOI.match(doi) else ""


def doi_id(doi: str) -> str:
    return f"doi:{normalise_doi(doi)}"


def normalise_title(title: str) -> str:
    """Lower-case, accent-free, punctuation-free, single-spaced: equal for the same paper."""
    # TeX braces only group ("{L}\'evy", "{BERT}"): drop them rather than split words.
    text = _LATEX_ACCENT.sub(r"\1", title).replace("{", "").replace("}", "")
    text = _LATEX_COMMAND.sub(r" \1 ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.casefold())
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=16_384)  # a batch asks for the same titles several times
def title_key(title: str) -> str:
    """A short stable hash of the normalised title, for matching a paper across sources."""
    return hashlib.sha256(normalise_title(title).encode()).hexdigest()[:16]


def title_id(title: str) -> str:
    """A stable id for a paper known only by its title."""
    return f"title:{title_key(title)}"


def id_rank(canonical_id: str) -> int:
    """How strong an id is: an arXiv id (2) beats a DOI (1) beats a title hash (0)."""
    if canonical_id.startswith("title:"):
        return 0
    if canonical_id.startswith("doi:"):
        return 1
    return 2


def collapse_spaces(text: str) -> str:
    """Hard-wrapped feed text on one line; characters (LaTeX, unicode) are kept as they are."""
    return _SPACES.sub(" ", text).strip()


def safe_url(text: str) -> str:
    """`text` (trimmed) if it is an absolute http(s) URL with a host, else "".

    Source URLs end up in href attributes (paper page, cards, digests): a "javascript:" URL
    there runs script on a click, a "file:" one opens the reader's own files. Web links only.
    """
    url = text.strip()
    if not url or _URL_UNSAFE.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.hostname else ""
