"""The catalogue's single write path: records from any source become Paper rows.

validate_record bounds every field (the limits below) before anything is written, and the write
refuses a record that was not made storable, so no record reaches the database it would break.

Records are written in batches: one query fetches every paper a batch could merge into (by
canonical id, DOI or normalised title), the merge happens in memory, and the batch is written
with bulk_create/bulk_update inside one transaction, so a batch is stored whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

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

# Bounds on what one record may store (docs/operations.md, "Bad input"). Generous for real
# papers (an arXiv abstract is at most 1,920 characters; collaborations list ~3,000 authors, cut
# to the first 1,000), small enough that one hostile record cannot bloat a page or a digest.
MAX_ID = 128  # Paper.canonical_id's column
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHOR = 300
MAX_AUTHORS = 1_000
MAX_CATEGORY = 32  # Paper.primary_category's column
MAX_CATEGORIES = 20
MAX_DOI = 200
MAX_URL = 500  # Paper.abs_url's and pdf_url's columns
MAX_COUNT = 2_147_483_647  # PostgreSQL's integer, behind PositiveIntegerField
MAX_VERSION = 1_000
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=2)  # "tomorrow" in any zone, and a day's slack
# PostgreSQL refuses NUL in text and JSON, and no database stores a lone surrogate (not UTF-8);
# json.loads hands both over from "\u0000" and "\ud800".
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


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


@dataclass(frozen=True)
class Validated:
    """A record made storable, or None and the reason it is skipped; notes say what changed."""

    record: PaperRecord | None
    reason: str = ""
    notes: tuple[str, ...] = ()


def validate_record(record: PaperRecord, now: datetime | None = None) -> Validated:
    """The record made storable, or why it cannot be (checked before any write).

    Identity and text a reader sees (id, title, abstract, a name in a list) over its bound skip
    the record: truncating them would store a different paper. Lists over their length are cut,
    and optional values (DOI, URLs, counts, dates, version) out of range are dropped, with a note.
    """
    fixes: dict[str, Any] = {}
    notes: list[str] = []
    _clean_text(record, fixes, notes)
    record = replace(record, **fixes) if fixes else record
    if reason := _skip_reason(record):
        return Validated(None, reason)
    fixes = {}
    _cut_lists(record, fixes, notes)
    _drop_out_of_range(record, now or timezone.now(), fixes, notes)
    return Validated(replace(record, **fixes) if fixes else record, notes=tuple(notes))


def _clean_text(record: PaperRecord, fixes: dict[str, Any], notes: list[str]) -> None:
    for name in ("title", "abstract"):
        value = getattr(record, name)
        if _UNSTORABLE.search(value):
            fixes[name] = _UNSTORABLE.sub("", value)
            notes.append(f"NUL or unpaired surrogate characters removed from {name}")
    for name in ("authors", "categories"):
        values = getattr(record, name)
        if any(_UNSTORABLE.search(value) for value in values):
            cleaned = (_UNSTORABLE.sub("", value) for value in values)
            fixes[name] = tuple(value for value in cleaned if value.strip())
            notes.append(f"NUL or unpaired surrogate characters removed from {name}")


def _skip_reason(record: PaperRecord) -> str:
    if _UNSTORABLE.search(record.canonical_id):
        return "canonical id holds NUL or unpaired surrogate characters"
    if not record.title.strip():
        return "no title"
    if not record.abstract.strip():
        return "no abstract"
    for label, value, limit in (
        ("canonical id", record.canonical_id, MAX_ID),
        ("title", record.title, MAX_TITLE),
        ("abstract", record.abstract, MAX_ABSTRACT),
    ):
        if len(value) > limit:
            return f"{label} is {len(value):,} characters, over the {limit:,} limit"
    for label, values, limit in (
        ("author", record.authors, MAX_AUTHOR),
        ("category", record.categories, MAX_CATEGORY),
    ):
        for number, value in enumerate(values, start=1):
            if len(value) > limit:
                return f"{label} {number} is {len(value):,} characters, over the {limit:,} limit"
    return ""


def _cut_lists(record: PaperRecord, fixes: dict[str, Any], notes: list[str]) -> None:
    for name, limit in (("authors", MAX_AUTHORS), ("categories", MAX_CATEGORIES)):
        values = getattr(record, name)
        if len(values) > limit:
            fixes[name] = values[:limit]
            notes.append(f"{name} truncated from {len(values):,} to the first {limit:,}")
    for name, limit in (("doi", MAX_DOI), ("abs_url", MAX_URL), ("pdf_url", MAX_URL)):
        value = getattr(record, name)
        if _UNSTORABLE.search(value):  # an edited link would lead elsewhere
            fixes[name] = ""
            notes.append(f"{name} dropped: it holds NUL or unpaired surrogate characters")
        elif len(value) > limit:
            fixes[name] = ""
            notes.append(f"{name} dropped: {len(value):,} characters, over the {limit:,} limit")


def _drop_out_of_range(
    record: PaperRecord, now: datetime, fixes: dict[str, Any], notes: list[str]
) -> None:
    if not 1 <= record.version <= MAX_VERSION:
        fixes["version"] = 1
        notes.append(f"version {record.version:,} is outside 1..{MAX_VERSION:,}: stored as 1")
    for name in ("upvotes", "comments"):
        count = getattr(record, name)
        if count is not None and not 0 <= count <= MAX_COUNT:
            fixes[name] = None
            notes.append(f"{name} dropped: {count:,} is outside 0..{MAX_COUNT:,}")
    earliest, latest = EARLIEST.date(), (now + LATEST_AHEAD).date()
    for name in ("published", "updated", "trending_on"):
        when = getattr(record, name)
        if isinstance(when, datetime) and when.tzinfo is None:
            when = fixes[name] = when.replace(tzinfo=UTC)  # a source without a zone means UTC
        day = when.date() if isinstance(when, datetime) else when
        if day is not None and not earliest <= day <= latest:
            fixes[name] = None
            notes.append(f"{name} dropped: {day.isoformat()} is outside {earliest}..{latest}")


def check_storable(records: Sequence[PaperRecord]) -> None:
    """Refuse a batch holding a record validate_record would skip or change: the database would
    refuse it (or store 50 MB of it), and the whole batch with it."""
    now = timezone.now()
    for record in records:
        checked = validate_record(record, now)
        if checked.record != record:
            why = checked.reason or "; ".join(checked.notes)
            raise ValueError(f"{record.canonical_id} is not storable as it is ({why})")


def upsert_papers(records: Iterable[PaperRecord], batch_size: int = BATCH_SIZE) -> UpsertCounts:
    """Create new papers, update changed ones; safe to re-run with the same records."""
    counts = UpsertCounts()
    for batch in batched(records, batch_size):
        counts += upsert_batch(batch)
    return counts


def upsert_batch(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Write one batch atomically. A concurrent writer that created one of these papers first
    makes the insert fail; the batch is then re-read and merged once more."""
    check_storable(records)
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
