"""The catalogue's single write path: records from any source become Paper rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from ranking.models import Paper
from ranking.sources.base import PaperRecord


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.skipped} unchanged"


def upsert_papers(records: Iterable[PaperRecord]) -> UpsertCounts:
    """Create new papers, update changed ones; safe to re-run with the same records."""
    counts = UpsertCounts()
    with transaction.atomic():
        for record in records:
            paper = Paper.objects.select_for_update().filter(canonical_id=record.canonical_id)
            existing = paper.first()
            if existing is None:
                _create(record)
                counts.created += 1
            elif _merge(existing, record):
                existing.save()
                counts.updated += 1
            else:
                counts.skipped += 1
    return counts


def _create(record: PaperRecord) -> Paper:
    return Paper.objects.create(
        canonical_id=record.canonical_id,
        version=record.version,
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        categories=list(record.categories),
        primary_category=record.categories[0] if record.categories else "",
        published=record.published,
        updated=record.updated,
        abs_url=record.abs_url,
        pdf_url=record.pdf_url,
        doi=record.doi,
        sources=[record.source],
        upvotes=record.upvotes,
        comments=record.comments,
        trending_on=record.trending_on,
    )


def _merge(paper: Paper, record: PaperRecord) -> bool:
    """Fold a record into an existing paper; return whether anything changed."""
    before = _snapshot(paper)
    if record.version >= paper.version:
        paper.version = record.version
        paper.title = record.title or paper.title
        paper.abstract = record.abstract or paper.abstract
        paper.authors = list(record.authors) or paper.authors
        paper.updated = record.updated or paper.updated
    paper.categories = paper.categories or list(record.categories)
    paper.primary_category = paper.primary_category or (
        record.categories[0] if record.categories else ""
    )
    paper.published = paper.published or record.published
    paper.abs_url = paper.abs_url or record.abs_url
    paper.pdf_url = paper.pdf_url or record.pdf_url
    paper.doi = paper.doi or record.doi
    if record.source not in paper.sources:
        paper.sources = [*paper.sources, record.source]
    if record.upvotes is not None:
        paper.upvotes, paper.comments = record.upvotes, record.comments
        paper.trending_on = record.trending_on or paper.trending_on
    return _snapshot(paper) != before


def _snapshot(paper: Paper) -> tuple[object, ...]:
    fields = ("version", "title", "abstract", "authors", "categories", "primary_category",
              "published", "updated", "abs_url", "pdf_url", "doi", "sources", "upvotes",
              "comments", "trending_on")  # fmt: skip
    return tuple(getattr(paper, name) for name in fields)
