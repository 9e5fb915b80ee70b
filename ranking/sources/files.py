"""Papers from files: JSONL, CSV, BibTeX and the plain-text trending-page format.

JSONL and CSV columns, and their aliases in real exports, are in ranking/sources/rows.py; in
CSV, authors are separated by ";". Files are UTF-8 (a BOM is dropped). Line breaks inside a
CSV quoted field or a JSON string are text, so they become spaces like any run of whitespace.

What a bad input gets (the run record lists each reason with its line):
- a file that cannot be read, is not UTF-8, or is a CSV without a title or abstract column:
  the run fails naming the file (and the byte's line), nothing of it is written;
- a line or row that cannot be used (not JSON, wrong types, no title or abstract, a date that
  is not one, upvotes out of 0..2,147,483,647, a field over rows.MAX_FIELD_CHARS, a CSV row
  with more or fewer fields than the header): skipped with the reason, the rest is read;
- a second record with an id already seen in the same file: skipped as a duplicate naming the
  first line, whether its title or abstract differ or it is identical; same text with other
  fields differing (a paper listed under two categories) is kept and merged by the catalogue;
- BibTeX: an unparseable entry is skipped; a year that is not 1900..next year is ignored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime
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
from ranking.sources.rows import FIRST_YEAR, column_key, has_field, keyed, record_from_row
from ranking.sources.seed_page import PageFormatError, line_end, numbered_seed_page, split_lines

SOURCE_NAME = "file"
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".bib": "bibtex", ".txt": "page"}
Numbered = Iterator[tuple[str, SourceItem]]
_LONE_CR = re.compile(r"\r(?!\n)")


class FileSource:
    name = "file"

    def __init__(self, source_name: str = SOURCE_NAME) -> None:
        self.source_name = source_name

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        path = Path(window.path)
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise SourceError(f"{path}: unknown file type; expected one of {sorted(FORMATS)}")
        text = read_text(path)
        parse = {"jsonl": parse_jsonl, "csv": parse_csv, "bibtex": parse_bibtex}.get(kind)
        try:
            yield from (parse or parse_page)(text, self.source_name)
        except SourceError as exc:
            raise SourceError(f"{path}: {exc}") from exc


def read_text(path: Path) -> str:
    """The whole file, decoded before any record is read: a bad byte fails the file at once."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc})") from exc
    try:
        # No newline translation: a "\r" inside a quoted CSV field is the CSV module's to read.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"{path}: cannot read (line {line} is not UTF-8: {exc.reason})") from exc


def parse_jsonl(text: str, source: str) -> Iterator[SourceItem]:
    return deduplicated(_jsonl_rows(text, source))


def _jsonl_rows(text: str, source: str) -> Numbered:
    # JSON strings may hold U+2028, U+0085 or \x1c raw (str.splitlines() would split there) but
    # never a raw CR or LF, so only those end a line.
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nested deep
            yield where, Skipped(where, f"not valid JSON ({str(exc)[:200]})")
            continue
        yield where, numbered(where, row, source)


def parse_csv(text: str, source: str) -> Iterator[SourceItem]:
    return deduplicated(_csv_rows(text, source))


def _csv_rows(text: str, source: str) -> Numbered:
    text = _prepared_csv(text)
    # A first pass finds a broken quote before any row is read: after one, every later field
    # may be shifted, so the file fails whole and nothing of it is written.
    for _ in _csv_records(text):
        pass
    records = _csv_records(text)
    header = next(records, None)
    if header is None:
        return
    names = header[2]
    keys = [column_key(name) for name in names]
    for field in ("title", "abstract"):
        if not has_field(keys, field):
            raise SourceError(
                f"no {field} column (the header is {', '.join(names)[:200]!r}); "
                "see ranking/sources/rows.py for the names read"
            )
    for number, start, fields in records:
        where = f"row {number}" if start == number else f"row {number} (line {start})"
        if len(fields) != len(names):
            reason = f"has {len(fields)} fields, the header has {len(names)}"
            yield where, Skipped(where, reason)
            continue
        yield where, numbered(where, keyed(zip(names, fields, strict=True)), source)


def _prepared_csv(text: str) -> str:
    # The csv module refuses a field over its limit (131,072 by default) and then reads the rest
    # of that record as new rows. Above the file's length it never refuses; rows.MAX_FIELD_CHARS
    # then skips the one row with a reason and the rows after it are read as they are.
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, 2**31 - 1)))
    if line_end(text) == "\n":
        # The csv module ends a row at any CR, but a writer whose rows end in "\n" (pandas,
        # Python's csv) leaves a lone CR in a field unquoted: read as a break, it would cut the
        # row in two and the second half could pass for a whole row. In text it is a space.
        text = _LONE_CR.sub(" ", text)
    return text


def _csv_records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(row number, first line, fields) of each non-blank row; SourceError at a broken quote
    (strict: a quote closed before other characters, or never closed)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    while True:
        start = reader.line_num + 1  # a row may span several lines; line_num is its last
        number += 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            raise SourceError(
                f"row {number} (line {start}): not valid CSV ({exc}); nothing of the file was read"
            ) from exc
        if fields is None:
            return
        if fields:  # [] is a blank line
            yield number, start, fields


def numbered(where: str, row: object, source: str) -> SourceItem:
    try:
        if not isinstance(row, dict):
            raise TypeError(f"expected an object, got {type(row).__name__}")
        item = record_from_row(row, source)
    except (TypeError, ValueError) as exc:
        return Skipped(where, str(exc))
    return Skipped(f"{where} ({item.where})", item.reason) if isinstance(item, Skipped) else item


def parse_page(text: str, source: str) -> Iterator[SourceItem]:
    try:
        pairs = list(numbered_seed_page(text, source))
    except PageFormatError as exc:
        raise SourceError(str(exc)) from exc
    return deduplicated((f"line {n}", record) for n, record in pairs)


def parse_bibtex(text: str, source: str) -> Iterator[SourceItem]:
    return deduplicated(_bibtex_entries(text, source))


def _bibtex_entries(text: str, source: str) -> Numbered:
    try:
        library = bibtexparser.parse_string(
            text,
            append_middleware=[middlewares.SeparateCoAuthors(allow_inplace_modification=True)],
        )
    except Exception as exc:  # the parser's own failures, whatever their class
        raise SourceError(f"unparseable BibTeX ({type(exc).__name__}: {exc})") from exc
    for block in library.failed_blocks:
        where = f"line {(block.start_line or 0) + 1}"
        yield where, Skipped(where, f"unparseable BibTeX: {str(block.error)[:200]}")
    for entry in library.entries:
        where = f"line {(entry.start_line or 0) + 1} ({entry.key})"
        fields = {key.lower(): f.value for key, f in entry.fields_dict.items()}
        try:
            item = _bib_record(where, fields, source)
        except (TypeError, ValueError) as exc:
            item = Skipped(where, str(exc))
        yield where, item


def _bib_record(where: str, fields: dict[str, Any], source: str) -> SourceItem:
    arxiv_id = ""
    if str(fields.get("archiveprefix", "")).lower() == "arxiv" or "eprint" in fields:
        arxiv_id = str(fields.get("eprint", ""))
    title = collapse_spaces(str(fields.get("title", "")))
    abstract = collapse_spaces(str(fields.get("abstract", "")))
    canonical_id, version = make_canonical_id(arxiv_id, str(fields.get("doi", "")), title)
    reason = missing_text(title, abstract)
    if reason:
        return Skipped(where, reason)
    return PaperRecord(
        canonical_id=canonical_id,
        version=version or 1,
        title=title,
        abstract=abstract,
        authors=tuple(
            a for a in (collapse_spaces(str(a)) for a in _list(fields.get("author"))) if a
        ),
        categories=tuple(collapse_spaces(str(fields.get("primaryclass", ""))).split()),
        published=_bib_year(fields.get("year")),
        doi=normalise_doi(str(fields.get("doi", ""))),
        source=source,
    )


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def _bib_year(value: Any) -> datetime | None:
    """1 January of the entry's year; None for anything else ("2024a", "in press", "20240")."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        return None
    year = int(text)
    return datetime(year, 1, 1, tzinfo=UTC) if FIRST_YEAR <= year <= _next_year() else None


def _next_year() -> int:
    return datetime.now(UTC).year + 1


@dataclass
class _Seen:
    where: str
    text: bytes
    whole: bytes


def deduplicated(items: Iterable[tuple[str, SourceItem]]) -> Iterator[SourceItem]:
    """The items; a record whose id and version an earlier line of the file already had becomes
    a Skipped naming that line. Two texts under one id are a broken file, and merging them
    would store a mix of both; the same text with other categories or authors is kept, for the
    catalogue to merge (one paper listed under two category queries)."""
    seen: dict[tuple[str, int], _Seen] = {}
    for where, item in items:
        if not isinstance(item, PaperRecord):
            yield item
            continue
        key = (item.canonical_id, item.version)
        mine = _Seen(where, _digest(item.title, item.abstract), _digest(*astuple(_plain(item))))
        first = seen.setdefault(key, mine)
        if first is mine:
            yield item
        elif first.whole == mine.whole:
            yield Skipped(f"{where} ({item.canonical_id})", f"duplicate of {first.where}")
        elif first.text != mine.text:
            reason = f"duplicate of {first.where} with a different title or abstract; not stored"
            yield Skipped(f"{where} ({item.canonical_id})", reason)
        else:
            yield item  # the same paper with other categories, authors...: the catalogue merges


def _plain(record: PaperRecord) -> PaperRecord:
    return replace(record, extra={})


def _digest(*parts: object) -> bytes:
    # A digest, not the text: a file of millions of rows keeps 32 bytes a paper in memory.
    return hashlib.blake2b(repr(parts).encode("utf-8", "backslashreplace"), digest_size=16).digest()
