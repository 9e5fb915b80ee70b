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
from urllib.parse import urlsplit

from subscriptions.arxiv_ids import ArxivId as ArxivId  # re-exported: the catalogue's id type
from subscriptions.arxiv_ids import match_arxiv_id

_SPACES = re.compile(r"\s+")
# What collapse_spaces turns into one space: whitespace (line breaks, U+2028, tabs...) and control
# characters. A control character between words is a lost separator (PDF extraction, a binary
# export), and PostgreSQL refuses NUL in text.
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_NON_WORD = re.compile(r"[^\w\s]")
# A LaTeX accent command ("\'e", "\"{u}", "{\v c}") stands for the plain letter once accents are
# stripped, so "{L}\'evy" and "Lévy" match.
_LATEX_ACCENT = re.compile(r"\\[`'^\"~=.uvHckbdr]\s*\{?\s*([A-Za-z])\s*\}?")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")

# A new-style id that went through a float (a pandas column): "0704.0010" is written "704.001".
_FLOAT_ID = re.compile(r"(?P<yymm>\d{3,4})\.(?P<number>\d{1,5})")
# The first new-style id is 0704.0001; numbers have five digits from 1501 on.
FIRST_NEW_ID_MONTH = "0704"
FIVE_DIGIT_MONTH = "1501"
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
# No whitespace or control character in the suffix: a DOI becomes part of an id and a URL.
_DOI = re.compile(r"^10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f]+$")
# Browsers drop tabs and newlines inside a URL ("java\tscript:"), so a URL holding any control
# character or space is refused whole rather than read the way one browser might.
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
WEB_SCHEMES = frozenset({"http", "https"})


# The arXiv id grammar is shared with the sign-up form, which is in the bottom layer: the
# catalogue reads ids with the very same function (subscriptions/arxiv_ids.py says why).
parse_arxiv_id = match_arxiv_id


def recover_float_arxiv_id(text: str, *, was_float: bool = False) -> str | None:
    """The new-style arXiv id that a float conversion turned into `text`, if only one could have.

    A float drops the leading zero of 2007-2009 ids ("0704.0001" -> "704.0001") and trailing zeros
    of the number ("0704.0010" -> "704.001", "0704.2000" -> "704.2"). The month fixes the number's
    width (four digits before 1501, five after), so the zeros can be put back. Text that reads as
    an id as written ("1501.0001": possibly 1501.00010, possibly a typo) is recovered only when
    the caller knows it was a float (`was_float`, a JSON number); None when unsure.
    """
    match = _FLOAT_ID.fullmatch(text.strip())
    if match is None:
        return None
    yymm, number = match["yymm"].zfill(4), match["number"]
    if yymm < FIRST_NEW_ID_MONTH or not 1 <= int(yymm[2:]) <= 12:
        return None
    width = 4 if yymm < FIVE_DIGIT_MONTH else 5
    lost_zeros = len(match["yymm"]) == 3 or len(number) < 4 or was_float
    # A float never ends in 0; a number that does was typed, not converted.
    if not lost_zeros or len(number) > width or number.endswith("0"):
        return None
    return f"{yymm}.{number.ljust(width, '0')}"


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
    """Hard-wrapped text on one line: each run of whitespace or control characters (a line break,
    U+2028, a tab, NUL) becomes one space, so words stay apart. Other characters (LaTeX, unicode)
    are kept as they are."""
    return _BLANKS.sub(" ", text).strip()


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
