"""Reading the public pages' query strings (day, page) and building what their templates show.

Bad input is answered consistently: a malformed or future day, a page number that is not a
number or out of range, an unknown topic or paper -> 404 with a message saying what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404
from django.utils import timezone

from ranking.identifiers import parse_arxiv_id
from ranking.models import Paper
from ranking.services.trending import papers_in_order
from ranking.text import shorten_authors

PAPERS_PER_PAGE = 25
# arXiv opened in August 1991: nothing can have trended before.
FIRST_DAY = date(1991, 8, 1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAGE = re.compile(r"[1-9]\d{0,5}")


@dataclass(frozen=True)
class PaperRow:
    """One paper as the lists show it."""

    paper: Paper
    rank: int
    authors: str
    trending: int
    arxiv_id: str

    @property
    def categories(self) -> list[str]:
        cats = self.paper.categories if isinstance(self.paper.categories, list) else []
        return [str(c) for c in cats[:4]]


def parse_day(text: str | None, today: date | None = None) -> date | None:
    """None for no day given; a date for a valid past day; Http404 saying why otherwise."""
    if text is None or text == "":
        return None
    today = today or timezone.localdate()
    if len(text) != 10 or not _DATE.fullmatch(text):
        raise Http404("That is not a date: use YYYY-MM-DD, e.g. 2024-03-07.")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise Http404("That is not a date: use YYYY-MM-DD, e.g. 2024-03-07.") from exc
    if day > today:
        raise Http404("That day has not happened yet: there are no papers from the future.")
    if day < FIRST_DAY:
        raise Http404("There are no papers from before arXiv began (August 1991).")
    return day


def parse_page_number(text: str | None) -> int:
    if text is None or text == "":
        return 1
    if not _PAGE.fullmatch(text):
        raise Http404("Page numbers are whole numbers from 1.")
    return int(text)


def paginate(ids: list[int], number: int) -> Page[int]:
    """A page of ids; the empty list has one empty page 1, any other page out of range 404s."""
    try:
        return Paginator(ids, PAPERS_PER_PAGE, allow_empty_first_page=True).page(number)
    except EmptyPage as exc:
        raise Http404(f"There is no page {number} of this list.") from exc


def rows_for(page: Page[int], counts: dict[int, int] | None = None) -> list[PaperRow]:
    counts = counts or {}
    first = page.start_index()
    return [
        paper_row(paper, first + n, counts.get(paper.pk, paper.upvotes or 0))
        for n, paper in enumerate(papers_in_order(list(page.object_list)))
    ]


def paper_row(paper: Paper, rank: int = 0, trending: int = 0) -> PaperRow:
    parsed = parse_arxiv_id(paper.canonical_id)
    return PaperRow(
        paper=paper,
        rank=rank,
        authors=shorten_authors(paper.authors),
        trending=trending,
        arxiv_id=parsed.base if parsed else "",
    )


def day_links(day: date, today: date | None = None) -> dict[str, date | None]:
    today = today or timezone.localdate()
    return {
        "previous_day": day - timedelta(days=1) if day > FIRST_DAY else None,
        "next_day": day + timedelta(days=1) if day < today else None,
    }


def page_query(page: Page[int], **params: str) -> dict[str, str]:
    """?query strings of the previous and next pages, keeping the list's own parameters."""
    kept = {k: v for k, v in params.items() if v}
    links = {}
    if page.has_previous():
        links["previous"] = "?" + urlencode({**kept, "page": page.previous_page_number()})
    if page.has_next():
        links["next"] = "?" + urlencode({**kept, "page": page.next_page_number()})
    return links
