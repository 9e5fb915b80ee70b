"""Canonical paper identifiers. Pure functions: no Django imports."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]")


def normalise_title(title: str) -> str:
    """Lower-case, accent-free, punctuation-free, single-spaced: equal for the same paper."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.casefold())
    return _SPACES.sub(" ", text).strip()


def title_id(title: str) -> str:
    """A stable id for a paper known only by its title."""
    digest = hashlib.sha256(normalise_title(title).encode()).hexdigest()[:16]
    return f"title:{digest}"
