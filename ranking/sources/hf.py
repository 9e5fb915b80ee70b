"""Hugging Face daily papers (`/api/daily_papers?date=YYYY-MM-DD`): the trending signal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ranking.identifiers import collapse_spaces, parse_arxiv_id
from ranking.sources.base import PaperRecord, Skipped, SourceError, SourceItem, Window, missing_text
from ranking.sources.http import HttpPolicy, PoliteSession

SOURCE_NAME = "hf"


class HfDailySource:
    name = "hf"

    def __init__(self, base_url: str, policy: HttpPolicy, max_days: int = 31) -> None:
        self.base_url = base_url
        self.max_days = max_days
        self.session = PoliteSession("Hugging Face daily papers", policy)

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        for day in self._days(window):
            yield from parse_daily_papers(self._get(day), day)

    def _days(self, window: Window) -> list[date]:
        first = window.since or window.until or datetime.now(UTC).date()
        last = window.until or first
        days = [first + timedelta(n) for n in range((last - first).days + 1)]
        if len(days) > self.max_days:
            raise SourceError(f"HF daily papers: {len(days)} days asked, at most {self.max_days}")
        return days

    def _get(self, day: date) -> Any:
        response = self.session.get(self.base_url, params={"date": day.isoformat()})
        try:
            payload = json.loads(response.content)
        except ValueError as exc:
            raise SourceError(
                f"HF daily papers for {day}: HTTP {response.status_code}, body is not JSON "
                f"({exc}): {response.content[:100]!r}"
            ) from exc
        if not response.ok or not isinstance(payload, list):
            detail = payload.get("error") if isinstance(payload, dict) else type(payload).__name__
            raise SourceError(
                f"HF daily papers for {day}: HTTP {response.status_code}, expected a JSON list "
                f"of papers, got {detail!r}"
            )
        return payload


def parse_daily_papers(items: list[Any], day: date) -> Iterator[SourceItem]:
    for index, item in enumerate(items):
        try:
            yield _to_record(item, day)
        except (TypeError, ValueError) as exc:
            yield Skipped(f"{day} item {index}", str(exc))


def _to_record(item: Any, day: date) -> SourceItem:
    paper = _field(item, "paper", dict)
    paper_id = _field(paper, "id", str)
    parsed = parse_arxiv_id(paper_id)
    if parsed is None:
        raise ValueError(f"paper.id {paper_id!r} is not an arXiv id")
    title = collapse_spaces(_field(paper, "title", str, default=item.get("title") or ""))
    abstract = collapse_spaces(_field(paper, "summary", str, default=""))
    reason = missing_text(title, abstract)
    if reason:
        return Skipped(parsed.base, reason)
    authors = _field(paper, "authors", list, default=[])
    return PaperRecord(
        canonical_id=parsed.base,
        version=parsed.version or 1,
        title=title,
        abstract=abstract,
        authors=tuple(_field(a, "name", str) for a in authors if not a.get("hidden")),
        published=_datetime(paper.get("publishedAt")),
        abs_url=f"https://arxiv.org/abs/{parsed.base}",
        pdf_url=f"https://arxiv.org/pdf/{parsed.base}",
        source=SOURCE_NAME,
        upvotes=_count(paper, "upvotes"),
        comments=_count(item, "numComments", default=0),
        trending_on=day,
    )


def _field(obj: Any, key: str, kind: type, default: Any = ...) -> Any:
    if not isinstance(obj, dict):
        raise TypeError(f"expected an object holding {key!r}, got {type(obj).__name__}")
    if key not in obj or obj[key] is None:
        if default is ...:
            raise ValueError(f"missing field {key!r}")
        return default
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"field {key!r} should be {kind.__name__}, got {type(value).__name__}")
    return value


def _count(obj: Any, key: str, default: int | None = None) -> int | None:
    value = _field(obj, key, int, default=default)
    if value is not None and value < 0:
        raise ValueError(f"field {key!r} is negative ({value})")
    return value


def _datetime(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
