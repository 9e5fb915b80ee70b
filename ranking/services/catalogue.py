"""The catalogue's single write path: records from any source become Paper rows.

Records are written in batches: one query fetches every paper a batch could merge into (by
canonical id, DOI or normalised title), the merge happens in memory, and the batch is written
with bulk_create/bulk_update inside one transaction, so a batch is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from itertools import islice
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ranking.identifiers import doi_id, id_rank, title_key
from ranking.models import Paper
from ranking.services.merge import PaperIndex, merge_record, new_paper
from ranking.sources.base import PaperRecord

BATCH_SIZE = 500
WRITTEN_FIELDS = [
    "canonical_id", "title_key", "version", "title", "abstract", "authors", "categories",
    "primary_category", "published", "updated", "abs_url", "pdf_url", "doi", "sources",
    "upvotes", "comments", "trending_on", "last_changed",
]  # fmt: skip
T = TypeVar("T")


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def validate_record(record: PaperRecord) -> str:
    """Why a record cannot be stored as it is, or "" if it can (checked before any write)."""
    if not record.title.strip():
        return "no title"
    if not record.abstract.strip():
        return "no abstract"
    limits = {"canonical_id": 128, "abs_url": 500, "pdf_url": 500, "doi": 255}
    for name, limit in limits.items():
        if len(getattr(record, name)) > limit:
            return f"{name} longer than {limit} characters"
    if record.categories and len(record.categories[0]) > 32:
        return "primary category longer than 32 characters"
    return ""


def upsert_papers(records: Iterable[PaperRecord], batch_size: int = BATCH_SIZE) -> UpsertCounts:
    """Create new papers, update changed ones; safe to re-run with the same records."""
    counts = UpsertCounts()
    for batch in batched(records, batch_size):
        counts += upsert_batch(batch)
    return counts


def upsert_batch(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Write one batch atomically. A concurrent writer that created one of these papers first
    makes the insert fail; the batch is then re-read and merged once more."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _write_batch(records)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write_batch(records: Sequence[PaperRecord]) -> UpsertCounts:
    counts = UpsertCounts()
    index = PaperIndex(_candidates(records))
    to_create: list[Paper] = []
    dirty: dict[int, Paper] = {}
    for record in records:
        paper = index.find(record)
        if paper is None:
            paper = new_paper(record)
            index.add(paper)
            to_create.append(paper)
            counts.created += 1
            continue
        old_id = paper.canonical_id
        if not merge_record(paper, record):
            counts.unchanged += 1
            continue
        index.rekey(paper, old_id)
        counts.updated += 1
        if paper.pk is not None:
            dirty[paper.pk] = paper
    Paper.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    now = timezone.now()
    for paper in dirty.values():
        paper.last_changed = now
    Paper.objects.bulk_update(list(dirty.values()), WRITTEN_FIELDS, batch_size=BATCH_SIZE)
    return counts


def _candidates(records: Sequence[PaperRecord]) -> list[Paper]:
    """Every stored paper any record of the batch could merge into, locked for the batch."""
    ids = {r.canonical_id for r in records}
    ids |= {doi_id(r.doi) for r in records if r.doi}
    dois = {r.doi for r in records if r.doi and id_rank(r.canonical_id) < 2}
    keys = {title_key(r.title) for r in records}
    query = Q(canonical_id__in=ids) | Q(title_key__in=keys)
    if dois:
        query |= Q(doi__in=dois)
    return list(Paper.objects.select_for_update().filter(query))


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
