"""Public Atom feeds of the trending list: today's, a given day's and a topic's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ranking.browse import parse_day
from ranking.models import Paper
from ranking.services.trending import front_page_day, papers_in_order, trending_list
from ranking.text import clean_text, shorten_authors, trim
from subscriptions.models import Topic

FEED_ITEMS = 50
FEED_ABSTRACT_CHARS = 1200


@dataclass(frozen=True)
class FeedSource:
    title: str
    link: str
    day: date
    topic: Topic | None = None


def paper_path(paper: Paper) -> str:
    return reverse("ranking:paper", kwargs={"canonical_id": paper.canonical_id})


def paper_published(paper: Paper) -> datetime | None:
    """The entry's <published>: the day it trended, else the paper's publication date. Never
    `first_seen` (when this catalogue met it): a reader would take that for the paper's date."""
    if paper.trending_on is not None:
        return datetime.combine(paper.trending_on, time.min, tzinfo=UTC)
    return paper.published


def paper_when(paper: Paper) -> datetime:
    """The entry's <updated>, which Atom requires: `first_seen` is honest there."""
    return paper_published(paper) or paper.first_seen


def paper_summary(paper: Paper, prefix: str = "") -> SafeString:
    """The entry's <summary type="html">: one escaped paragraph per part, never the source's markup.

    Atom1Feed sends summaries as HTML, and HTML rather than type="text" is what we want: readers
    collapse the line breaks of a text summary, so the explanation, the authors and the abstract
    would run together, while paragraphs show apart in every reader. The text is escaped here
    (an abstract's "<img ...>" or "p < 0.05" becomes "&lt;..."), then once more by the XML
    writer; a reader undoes both and shows the paper's literal characters.
    """
    parts = [
        prefix,
        shorten_authors(paper.authors),
        trim(clean_text(paper.abstract), FEED_ABSTRACT_CHARS),
    ]
    return format_html_join("", "<p>{}</p>", ((part,) for part in parts if part))


class PaperFeed(Feed):
    """What every paper feed shares: Atom, paper page links, authors, categories."""

    feed_type = Atom1Feed

    def item_title(self, paper: Paper) -> str:
        return clean_text(paper.title, 300) or "(untitled)"

    def item_link(self, paper: Paper) -> str:
        return paper_path(paper)

    def item_description(self, paper: Paper) -> str:
        return paper_summary(paper)

    def item_author_name(self, paper: Paper) -> str | None:
        return shorten_authors(paper.authors) or None

    def item_categories(self, paper: Paper) -> list[str]:
        return [str(c) for c in paper.categories[:5]] if isinstance(paper.categories, list) else []

    def item_pubdate(self, paper: Paper) -> datetime | None:
        return paper_published(paper)

    def item_updateddate(self, paper: Paper) -> datetime:
        return paper_when(paper)


class TrendingFeed(PaperFeed):
    """/feeds/trending/ (the front page's day), /feeds/trending/<day>/, /feeds/topics/<slug>/."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedSource:
        today = timezone.localdate()
        topic = None
        if "slug" in kwargs:
            topic = get_object_or_404(Topic, slug=kwargs["slug"], active=True)
        day = parse_day(kwargs.get("day")) or (today if topic else front_page_day(today))
        if topic is not None:
            link = reverse("ranking:topic", kwargs={"slug": topic.slug})
            title = f"{settings.SITE_NAME}: trending in {topic.name}"
        else:
            link = reverse("ranking:day", kwargs={"day": day.isoformat()})
            title = f"{settings.SITE_NAME}: trending papers of {day:%d %B %Y}"
        return FeedSource(title=title, link=link, day=day, topic=topic)

    def title(self, source: FeedSource) -> str:
        return source.title

    def link(self, source: FeedSource) -> str:
        return source.link

    def subtitle(self, source: FeedSource) -> str:
        return "Papers ranked by Hugging Face upvotes, likes and clicks by readers, and recency."

    def items(self, source: FeedSource) -> list[Paper]:
        listed = trending_list(source.day, source.topic)
        return papers_in_order(listed.ids[:FEED_ITEMS])
