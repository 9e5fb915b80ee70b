"""One row of a JSONL or CSV file (column name -> value) as a PaperRecord. No Django imports.

Column names are matched case-insensitively and without their punctuation, spaces or BOM
("arXiv ID", "arxiv-id" and "arxiv_id" are one name). Where a file has several columns for one
field, the first in this table's order that holds a value is used. The names are those of the
exports seen in practice: the Kaggle/Cornell arXiv snapshot (a pandas dump), the Keras
"arxiv_data.csv", arXiv API dumps, the arxiv.py library's results and this project's own format.

field       columns, in order of preference        value
id          id, arxiv_id, paper_id, eprint, entry_id   an arXiv id, abs/pdf URL or OAI identifier
doi         doi                                        a DOI or doi.org URL
title       title, titles, paper_title                 text
abstract    abstract, abstracts, summary, summaries    text
authors     authors_parsed, authors, author            see below
categories  categories, category, terms,               see below
            primary_category
published   published, published_at, published_date,   ISO 8601 date or datetime, YYYY,
            publication_date, date, year, created;     YYYY-MM, or an RFC 2822 date
            else the first entry of `versions`         ("Mon, 2 Apr 2007 19:18:42 GMT")
version     the id's "vN", else how many `versions`
upvotes     upvotes                                    a whole number 0..2,147,483,647

authors: a JSON list of names, or text with names separated by ";" (one name if there is no
";": "A, B and C" cannot be split safely); `authors_parsed` is the snapshot's Python literal
[["Last", "First", "Suffix", optional affiliation], ...] (the affiliation is dropped).
categories: a JSON list, codes separated by spaces or commas, or a Python list literal
"['cs.LG', 'cs.AI']" (the Keras file's `terms`). `versions` is the snapshot's
[{"version": "v1", "created": "<RFC 2822 date>"}, ...]. The snapshot's `update_date` is the
last version's date, not the publication date, and is not read.

A float-mangled id ("704.0001" for 0704.0001) is recovered where only one id is possible
(ranking.identifiers.recover_float_arxiv_id). Text is whitespace-normalised (collapse_spaces:
every run of whitespace or control characters, line breaks and U+2028 included, is one space).
A row whose value cannot be read (wrong type, a date that is not one, upvotes out of range, a
field over MAX_FIELD_CHARS, an unpaired surrogate) is skipped with the reason, never guessed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ranking.identifiers import (
    collapse_spaces,
    normalise_doi,
    parse_arxiv_id,
    recover_float_arxiv_id,
)
from ranking.sources.base import PaperRecord, Skipped, SourceItem, make_canonical_id, missing_text

# No real title or abstract comes near this (arXiv caps abstracts at 1,920 characters); a longer
# field is a broken file (an unclosed quote swallowing the rows after it), so the row is skipped.
# The catalogue's own text bounds (validate_record) are checked later and are the stricter ones.
MAX_FIELD_CHARS = 1_000_000
MAX_UPVOTES = 2_147_483_647  # the database integer column
FIRST_YEAR = 1900
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "arxivid", "paperid", "eprint", "entryid"),
    "doi": ("doi",),
    "title": ("title", "titles", "papertitle"),
    "abstract": ("abstract", "abstracts", "summary", "summaries"),
    "authors": ("authors", "author"),
    "categories": ("categories", "category", "terms", "primarycategory"),
    "published": (
        "published",
        "publishedat",
        "publisheddate",
        "publicationdate",
        "date",
        "year",
        "created",
    ),
    "upvotes": ("upvotes",),
}
_NOT_NAME = re.compile(r"[\W_]+")
_YEAR = re.compile(r"[0-9]{4}")
_YEAR_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# "12.0": pandas writes an integer column that has gaps as floats.
_INTEGER = re.compile(r"([+-]?[0-9]+)(?:\.0*)?")
_CATEGORY_SPLIT = re.compile(r"[\s,]+")


def column_key(name: str) -> str:
    """The name a column is matched by: "arXiv ID", "arxiv-id" and "\\ufeffarxiv_id" agree."""
    return _NOT_NAME.sub("", name.casefold())


def has_field(keys: Iterable[str], field: str) -> bool:
    return not set(ALIASES[field]).isdisjoint(keys)


def record_from_row(raw: Mapping[str, Any], source: str) -> SourceItem:
    """A PaperRecord, or Skipped with the reason; TypeError/ValueError for a value that is
    unreadable (the caller names the line)."""
    row = keyed(raw.items())
    title = collapse_spaces(_first_text(row, "title"))
    abstract = collapse_spaces(_first_text(row, "abstract"))
    doi = _first_text(row, "doi")
    canonical_id, version = make_canonical_id(_arxiv_id(row), doi, title)
    reason = missing_text(title, abstract)
    if reason:
        return Skipped(canonical_id, reason)
    versions = _versions(row.get("versions"))
    return PaperRecord(
        canonical_id=canonical_id,
        version=version or len(versions) or 1,
        title=title,
        abstract=abstract,
        authors=_authors(row),
        categories=_categories(_first(row, "categories")),
        published=_when(_first(row, "published"), "published") or _first_version(versions),
        doi=normalise_doi(doi),
        upvotes=_count(_first(row, "upvotes"), "upvotes"),
        source=source,
    )


def keyed(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The row by column key; where two columns share a key, the first with a value wins."""
    row: dict[str, Any] = {}
    for name, value in pairs:
        key = column_key(str(name))
        if key not in row or row[key] in (None, ""):
            row[key] = value
    return row


def _first(row: Mapping[str, Any], field: str) -> Any:
    return next((row[k] for k in ALIASES[field] if row.get(k) not in (None, "", [])), None)


def _first_text(row: Mapping[str, Any], field: str) -> str:
    value = _first(row, field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"field {field!r} should be a string, got {type(value).__name__}")
    return _checked(value, field)


def _checked(value: str, field: str) -> str:
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"field {field!r} is longer than {MAX_FIELD_CHARS:,} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Only a JSON "\\ud800" escape makes one: text no database can store.
        raise ValueError(f"field {field!r} holds an unpaired surrogate") from None
    return value


def _arxiv_id(row: Mapping[str, Any]) -> str:
    value = _first(row, "id")
    if isinstance(value, float):
        # A JSON number: certainly a float, so its lost zeros can be put back.
        return recover_float_arxiv_id(repr(value), was_float=True) or ""
    text = _first_text(row, "id")
    if text and parse_arxiv_id(text) is None:
        return recover_float_arxiv_id(text) or text
    return text


def _authors(row: Mapping[str, Any]) -> tuple[str, ...]:
    parsed = row.get("authorsparsed")
    if parsed not in (None, ""):
        names = _literal(parsed, "authors_parsed")
        if not all(isinstance(n, list) and all(isinstance(p, str) for p in n) for n in names):
            raise TypeError("field 'authors_parsed' should be a list of [last, first, suffix]")
        # [last, first, suffix, affiliation...]: the affiliation is not part of the name.
        return _names(" ".join(reversed(n[:2])) + " " + " ".join(n[2:3]) for n in names)
    value = _first(row, "authors")
    if isinstance(value, str):
        return _names(_checked(value, "authors").split(";"))
    return _names(_strings(value, "authors"))


def _names(names: Iterable[str]) -> tuple[str, ...]:
    cleaned = (collapse_spaces(name) for name in names)
    return tuple(name for name in cleaned if name)


def _categories(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        text = _checked(value, "categories").strip()
        if text.startswith("["):
            return _categories(_literal(text, "categories"))
        return _codes([text])
    return _codes(_strings(value, "categories"))


def _codes(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(c for item in items for c in _CATEGORY_SPLIT.split(collapse_spaces(item)) if c)


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"field {field!r} should be a list of strings")
    return [_checked(item, field) for item in value]


def _literal(value: Any, field: str) -> list[Any]:
    """A Python list literal as pandas writes one (the snapshot's `versions`, Keras `terms`)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise TypeError(f"field {field!r} should be a list, got {type(value).__name__}")
    try:
        # literal_eval builds only literals: no names, calls or attribute access are run.
        parsed = ast.literal_eval(_checked(value, field).strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"field {field!r} is not a list: {value[:60]!r}") from None
    if not isinstance(parsed, list):
        raise TypeError(f"field {field!r} should be a list, got {type(parsed).__name__}")
    return parsed


def _versions(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    versions = _literal(value, "versions")
    if not all(isinstance(v, dict) and isinstance(v.get("created"), str) for v in versions):
        raise TypeError("field 'versions' should be a list of {'version', 'created'}")
    return versions


def _first_version(versions: list[Any]) -> datetime | None:
    return _when(versions[0]["created"], "versions") if versions else None


def _when(value: Any, field: str) -> datetime | None:
    """A date the catalogue can store and show; ValueError (the row is skipped) otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a year as a JSON number
    if not isinstance(value, str):
        raise TypeError(f"field {field!r} should be a date, got {type(value).__name__}")
    parsed = _parse_date(value.strip())
    if parsed is None:
        raise ValueError(f"field {field!r} is not a date: {value[:40]!r}")
    # Years outside this range are typos (20240) and some would overflow a time-zone shift.
    if not FIRST_YEAR <= parsed.year <= datetime.now(UTC).year + 1:
        raise ValueError(f"field {field!r} has an implausible year: {value[:40]!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_date(text: str) -> datetime | None:
    if _YEAR.fullmatch(text):
        text = f"{text}-01-01"
    elif month := _YEAR_MONTH.fullmatch(text):
        text = f"{month[1]}-{month[2]}-01"
    try:
        if len(text) <= 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _count(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and (match := _INTEGER.fullmatch(value.strip())):
        # Past 19 characters it is out of range either way; int() of 4,301+ digits would raise.
        number = int(match[1][:19])
    if number is None:
        raise TypeError(f"field {field!r} should be a whole number, got {str(value)[:40]!r}")
    if number < 0:
        raise ValueError(f"field {field!r} is negative ({number})")
    if number > MAX_UPVOTES:
        raise ValueError(f"field {field!r} is over {MAX_UPVOTES:,} ({str(value)[:40]})")
    return number
