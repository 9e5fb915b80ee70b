"""The arXiv API (Atom) through the `arxiv` client: categories, date ranges, id lists, paging.

The client is pointed at settings.ARXIV_API_URL and given our PoliteSession, so every page
request goes through the shared rate limit, the timeouts, the size bound and our retries (the
client's own sleep and retries are turned off: they are per-process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import arxiv

from ranking.identifiers import collapse_spaces, normalise_doi, parse_arxiv_id
from ranking.sources.base import PaperRecord, Skipped, SourceError, SourceItem, Window, missing_text
from ranking.sources.http import HttpPolicy, PoliteSession
from ranking.sources.xml import expect_root

ATOM = "http://www.w3.org/2005/Atom"
SOURCE_NAME = "arxiv-api"


class ArxivApiSource:
    name = "arxiv"

    def __init__(
        self,
        base_url: str,
        policy: HttpPolicy,
        before_request: Callable[[], object] | None = None,
        page_size: int = 100,
        max_results: int | None = 10_000,
    ) -> None:
        self.client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=0)
        self.client.query_url_format = base_url + "?{}"
        # Only 2xx bodies are validated: an error status is reported by the client itself.
        self.client._session = PoliteSession(
            "arXiv API", policy, before_request, validate=expect_root(ATOM, "feed")
        )
        self.max_results = max_results

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        search = arxiv.Search(
            query=build_query(window),
            id_list=list(window.ids),
            max_results=self.max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
        )
        try:
            for result in self.client.results(search):
                yield to_record(result)
        except arxiv.ArxivError as exc:
            raise SourceError(f"arXiv API: {exc}") from exc


def build_query(window: Window) -> str:
    parts = []
    if window.categories:
        parts.append("(" + " OR ".join(f"cat:{c}" for c in window.categories) + ")")
    if window.since or window.until:
        start = _stamp(window.since, "0000") if window.since else "000001010000"
        end = _stamp(window.until, "2359") if window.until else "999912312359"
        parts.append(f"submittedDate:[{start} TO {end}]")
    return " AND ".join(parts)


def to_record(result: arxiv.Result) -> SourceItem:
    if "/api/errors" in result.entry_id:
        raise SourceError(f"arXiv API error: {collapse_spaces(result.summary)}")
    parsed = parse_arxiv_id(result.entry_id)
    if parsed is None:
        return Skipped(result.entry_id or "entry", "not an arXiv id")
    title, abstract = collapse_spaces(result.title), collapse_spaces(result.summary)
    reason = missing_text(title, abstract)
    if reason:
        return Skipped(parsed.base, reason)
    categories = [result.primary_category] if result.primary_category else []
    categories += [c for c in result.categories if c not in categories]
    return PaperRecord(
        canonical_id=parsed.base,
        version=parsed.version or 1,
        title=title,
        abstract=abstract,
        authors=tuple(a.name for a in result.authors),
        categories=tuple(categories),
        published=result.published,
        updated=result.updated,
        abs_url=f"https://arxiv.org/abs/{parsed.base}",
        pdf_url=result.pdf_url or "",
        doi=normalise_doi(result.doi or ""),
        source=SOURCE_NAME,
    )


def _stamp(day: date, hhmm: str) -> str:
    return day.strftime("%Y%m%d") + hhmm
