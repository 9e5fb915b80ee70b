"""Public pages: the trending list (under the sign-up form on "/"), days, topics, search and
one page per paper. Bad input is a 404 saying why (see ranking/browse.py), except a search that
is too long, which is a 400 showing the search box again."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ranking import browse
from ranking.models import Paper
from ranking.services import search, similar, trending
from subscriptions.models import Topic

MAX_ID_LENGTH = 128


def trending_context(request: HttpRequest, day: date | None = None) -> dict[str, Any]:
    """The trending list of `day` (or ?day=, or the front page's day) for _paper_list.html."""
    today = timezone.localdate()
    explicit = day or browse.parse_day(request.GET.get("day"))
    chosen = explicit or trending.front_page_day(today)
    listed = trending.trending_list(chosen)
    page = browse.paginate(listed.ids, browse.parse_page_number(request.GET.get("page")))
    day_param = request.GET.get("day", "") if day is None else ""
    return {
        **_list_context(request, page, listed.counts, browse.page_query(page, day=day_param)),
        **browse.day_links(chosen, today),
        "day": chosen,
        "is_today": chosen == today,
        "fell_back": explicit is None and chosen != today,
        "list_title": "Trending today"
        if chosen == today
        else f"Trending on {chosen:%A} {chosen.day} {chosen:%B %Y}",
        "feed_url": reverse("ranking:feed_day", kwargs={"day": chosen.isoformat()}),
    }


def _list_context(
    request: HttpRequest, page: Any, counts: dict[int, int], pager: dict[str, str]
) -> dict[str, Any]:
    return {
        "page": page,
        "rows": browse.rows_for(page, counts),
        "pager": pager,
        "paper_count": trending.catalogue_size(),
        "topics": list(Topic.objects.filter(active=True).only("name", "slug")),
        "today": timezone.localdate(),
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "ranking/browse.html", trending_context(request))


@require_GET
def day_view(request: HttpRequest, day: str) -> HttpResponse:
    parsed = browse.parse_day(day)
    return render(request, "ranking/browse.html", trending_context(request, parsed))


@require_GET
def topic_view(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug, active=True)
    today = timezone.localdate()
    listed = trending.trending_list(today, topic)
    page = browse.paginate(listed.ids, browse.parse_page_number(request.GET.get("page")))
    context = {
        **_list_context(request, page, listed.counts, browse.page_query(page)),
        "topic": topic,
        "day": today,
        "list_title": f"Trending in {topic.name}",
        "feed_url": reverse("ranking:feed_topic", kwargs={"slug": topic.slug}),
    }
    return render(request, "ranking/browse.html", context)


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    try:
        query = search.clean_query(raw)
    except search.SearchQueryError as exc:
        error = {"query": raw[: search.MAX_QUERY_CHARS], "search_error": str(exc)}
        return render(request, "ranking/search.html", error, status=400)
    ids = search.search_papers(query)
    page = browse.paginate(ids, browse.parse_page_number(request.GET.get("page")))
    context: dict[str, Any] = {
        **_list_context(request, page, {}, browse.page_query(page, q=query.text)),
        "query": query.text,
        "result_count": len(ids),
        "capped": len(ids) >= search.MAX_RESULTS,
        "max_results": search.MAX_RESULTS,
    }
    return render(request, "ranking/search.html", context)


def find_paper(canonical_id: str) -> Paper | None:
    """The paper with this id; None for anything no id can be (too long, NUL: PostgreSQL
    refuses NUL bytes in text and would answer with an error, not "no such paper")."""
    if not canonical_id or len(canonical_id) > MAX_ID_LENGTH or "\x00" in canonical_id:
        return None
    return Paper.objects.filter(canonical_id=canonical_id).first()


@require_GET
def paper_view(request: HttpRequest, canonical_id: str) -> HttpResponse:
    paper = find_paper(canonical_id)
    if paper is None:
        raise Http404("There is no paper with this id in the catalogue.")
    row = browse.paper_row(paper, trending=paper.upvotes or 0)
    context = {
        "row": row,
        "paper": paper,
        "authors_shown": paper.authors[:50] if isinstance(paper.authors, list) else [],
        "authors_hidden": max(0, len(paper.authors) - 50) if isinstance(paper.authors, list) else 0,
        "versions": range(paper.version, 0, -1) if row.arxiv_id else range(0),
        "doi": _doi_of(paper),
        "similar": [browse.paper_row(p) for p in similar.similar_papers(paper)],
        "subscribe_url": reverse("subscriptions:signup") + "?" + _seed_query(paper) + "#subscribe",
    }
    return render(request, "ranking/paper.html", context)


def _doi_of(paper: Paper) -> str:
    """The DOI to show: a `doi:` canonical id is one even if the record's own field is empty.
    (A `title:` id is a hash, not an identifier a reader can use: the page never shows it.)"""
    if paper.doi:
        return paper.doi
    return paper.canonical_id.removeprefix("doi:") if paper.canonical_id.startswith("doi:") else ""


def _seed_query(paper: Paper) -> str:
    return urlencode({"seed": paper.canonical_id})
