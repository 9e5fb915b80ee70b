"""Papers from files: JSONL, CSV, BibTeX and the plain-text trending-page format.

JSONL/CSV columns: `id` (arXiv id or URL; optional), `doi`, `title`, `abstract` (or `summary`),
`authors` (a list in JSONL; "; "-separated in CSV), `categories` (a list, or space-separated,
primary first), `published` (ISO date or datetime), `upvotes`. A bad line is skipped and counted.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser import middlewares

from ranking.identifiers import collapse_spaces, normalise_doi
from ranking.sources.base import (
    PaperRecord,
    Skipped,
    SourceError,
    SourceItem,
    Window,
    make_canonical_id,
    missing_text,
)
from ranking.sources.seed_page import PageFormatError, parse_seed_page

SOURCE_NAME = "file"
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".bib": "bibtex", ".txt": "page"}


class FileSource:
    name = "file"

    def __init__(self, source_name: str = SOURCE_NAME) -> None:
        self.source_name = source_name

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        path = Path(window.path)
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise SourceError(f"{path}: unknown file type; expected one of {sorted(FORMATS)}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: cannot read ({exc})") from exc
        if kind == "jsonl":
            yield from parse_jsonl(text, self.source_name)
        elif kind == "csv":
            yield from parse_csv(text, self.source_name)
        elif kind == "bibtex":
            yield from parse_bibtex(text, self.source_name)
        else:
            try:
                yield from parse_seed_page(text, source=self.source_name)
            except PageFormatError as exc:
                raise SourceError(f"{path}: {exc}") from exc


def parse_jsonl(text: str, source: str) -> Iterator[SourceItem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield Skipped(f"line {number}", f"not valid JSON ({exc})")
            continue
        yield _numbered(f"line {number}", row, source)


def parse_csv(text: str, source: str) -> Iterator[SourceItem]:
    reader = csv.DictReader(text.splitlines())
    for number, row in enumerate(reader, start=2):
        authors = [a.strip() for a in (row.get("authors") or "").split(";") if a.strip()]
        yield _numbered(f"row {number}", {**row, "authors": authors}, source)


def _numbered(where: str, row: object, source: str) -> SourceItem:
    try:
        if not isinstance(row, dict):
            raise TypeError(f"expected an object, got {type(row).__name__}")
        item = record_from_row(row, source)
    except (TypeError, ValueError) as exc:
        return Skipped(where, str(exc))
    return Skipped(f"{where} ({item.where})", item.reason) if isinstance(item, Skipped) else item


def record_from_row(row: Mapping[str, Any], source: str) -> SourceItem:
    title = collapse_spaces(_text(row, "title"))
    abstract = collapse_spaces(_text(row, "abstract") or _text(row, "summary"))
    canonical_id, version = make_canonical_id(_text(row, "id"), _text(row, "doi"), title)
    reason = missing_text(title, abstract)
    if reason:
        return Skipped(canonical_id, reason)
    return PaperRecord(
        canonical_id=canonical_id,
        version=version or 1,
        title=title,
        abstract=abstract,
        authors=_strings(row.get("authors"), "authors"),
        categories=_categories(row.get("categories")),
        published=_when(row.get("published")),
        doi=normalise_doi(_text(row, "doi")),
        upvotes=_int(row.get("upvotes")),
        source=source,
    )


def parse_bibtex(text: str, source: str) -> Iterator[SourceItem]:
    library = bibtexparser.parse_string(
        text,
        append_middleware=[middlewares.SeparateCoAuthors(allow_inplace_modification=True)],
    )
    for block in library.failed_blocks:
        yield Skipped(f"line {(block.start_line or 0) + 1}", f"unparseable BibTeX: {block.error}")
    for entry in library.entries:
        fields = {key.lower(): value for key, value in entry.fields_dict.items()}
        yield _bib_record(entry.key, {k: f.value for k, f in fields.items()}, source)


def _bib_record(key: str, fields: dict[str, Any], source: str) -> SourceItem:
    arxiv_id = ""
    if str(fields.get("archiveprefix", "")).lower() == "arxiv" or "eprint" in fields:
        arxiv_id = str(fields.get("eprint", ""))
    title = collapse_spaces(str(fields.get("title", "")))
    canonical_id, version = make_canonical_id(arxiv_id, str(fields.get("doi", "")), title)
    reason = missing_text(title, str(fields.get("abstract", "")))
    if reason:
        return Skipped(key, reason)
    year = str(fields.get("year", ""))
    return PaperRecord(
        canonical_id=canonical_id,
        version=version or 1,
        title=title,
        abstract=collapse_spaces(str(fields["abstract"])),
        authors=tuple(collapse_spaces(a) for a in _list(fields.get("author"))),
        categories=_categories(fields.get("primaryclass")),
        published=datetime(int(year), 1, 1, tzinfo=UTC) if year.isdigit() else None,
        doi=normalise_doi(str(fields.get("doi", ""))),
        source=source,
    )


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"field {key!r} should be a string, got {type(value).__name__}")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    items = _list(value)
    if not all(isinstance(item, str) for item in items):
        raise TypeError(f"field {key!r} should be a list of strings")
    return tuple(collapse_spaces(item) for item in items if item.strip())


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    raise TypeError(f"expected a list, got {type(value).__name__}")


def _categories(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    return _strings(value, "categories")


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise TypeError(f"field 'published' should be an ISO date, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if len(value) <= 10:
        parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"field 'upvotes' should be an integer, got {type(value).__name__}")
    number = int(value)
    if number < 0:
        raise ValueError(f"field 'upvotes' is negative ({number})")
    return number
