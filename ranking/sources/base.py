"""The record every source produces. Pure data: no Django imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


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
