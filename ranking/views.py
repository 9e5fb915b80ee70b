from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ranking.models import Paper

PAPERS_PER_PAGE = 25


def trending_context(request: HttpRequest) -> dict[str, object]:
    """Context for templates/ranking/_paper_list.html (also shown under the sign-up form)."""
    papers = Paper.objects.order_by("-upvotes", "-first_seen", "id")
    page = Paginator(papers, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    return {"page": page, "paper_count": papers.count()}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "ranking/home.html", trending_context(request))
