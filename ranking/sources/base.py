"""What every source produces, and the interface each source implements. No Django imports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from ranking.identifiers import doi_id, normalise_doi, parse_arxiv_id, safe_url, title_id


@dataclass(frozen=True)
class PaperRecord:
    canonical_id: str
    title: str
    abstract: str = ""
    version: int = 1
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    abs_url: str = ""
    pdf_url: str = ""
    doi: str = ""
    source: str = "file"
    upvotes: int | None = None
    comments: int | None = None
    trending_on: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every source builds its records here, so this one check covers them all, before
        # validation and the catalogue's write: a URL that is not http(s) is dropped (a
        # "javascript:" pdf link from a feed), and the rest of the record is kept.
        object.__setattr__(self, "abs_url", safe_url(self.abs_url))
        object.__setattr__(self, "pdf_url", safe_url(self.pdf_url))


@dataclass(frozen=True)
class Skipped:
    """A record the source read but cannot use (no title, no abstract, wrong types): counted."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


SourceItem = PaperRecord | Skipped


@dataclass(frozen=True)
class Window:
    """What to fetch. Each source reads the parts it understands."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    path: str = ""
    ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        if self.since or self.until:
            parts.append(f"{self.since or '…'}..{self.until or '…'}")
        if self.categories:
            parts.append(",".join(self.categories))
        if self.ids:
            parts.append("ids=" + ",".join(self.ids))
        if self.path:
            parts.append(self.path)
        return " ".join(parts)


class SourceError(Exception):
    """The source cannot be read (down, refused, malformed): the run fails with this message."""


class Source(Protocol):
    name: str

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        """Yield records (and skips) in source order; raise SourceError when the source fails."""
        ...


def make_canonical_id(arxiv_id: str = "", doi: str = "", title: str = "") -> tuple[str, int | None]:
    """The strongest id the record supports, and the arXiv version if the id carried one."""
    parsed = parse_arxiv_id(arxiv_id) if arxiv_id else None
    if parsed is not None:
        return parsed.base, parsed.version
    if doi and normalise_doi(doi):
        return doi_id(doi), None
    return title_id(title), None


def missing_text(title: str, abstract: str) -> str:
    """Why a record cannot be stored, or "" if it can."""
    if not title.strip():
        return "no title"
    if not abstract.strip():
        return "no abstract"
    return ""
