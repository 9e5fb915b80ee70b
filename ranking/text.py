"""A paper's text as every page, feed and email shows it: one line, trimmed at a word, authors
shortened. Pure functions, no Django: the public pages (browse.py, feeds.py) and the digests
(emails/viewmodel.py) call the same ones, so a title reads the same everywhere."""

from __future__ import annotations

import re

MAX_AUTHOR_CHARS = 60

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
# Most text needs no cleaning; one search is cheaper than two substitutions.
_DIRTY = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]|[^\S ]| {2}")


def clean_text(value: object, limit: int | None = None) -> str:
    """One line of displayable text: no control characters, whitespace collapsed, trimmed."""
    text = str(value or "")
    if _DIRTY.search(text) is not None:
        text = _SPACES.sub(" ", _CONTROL.sub(" ", text))
    text = text.strip()
    return trim(text, limit) if limit else text


def trim(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut; short text is returned as is."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def shorten_authors(authors: object) -> str:
    """ "A, B, C, D" up to four names, else "A, B, C et al."; never reads past the fifth name."""
    if not isinstance(authors, list):
        return ""
    names = [clean_text(name, MAX_AUTHOR_CHARS) for name in authors[:5] if isinstance(name, str)]
    names = [name for name in names if name]
    if len(authors) <= 4:
        return ", ".join(names)
    return ", ".join(names[:3]) + " et al."
