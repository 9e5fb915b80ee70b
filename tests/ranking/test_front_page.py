"""The front page: sign-up box, then the day's trending papers; browsing by day and topic."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from emails.models import Digest, LinkEvent
from ranking.models import Paper
from ranking.services.trending import trending_list
from subscriptions.models import Feedback
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/papers/[^"]+/">([^<]+)</a></h3>', html)


@pytest.fixture(autouse=True)
def clock() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def paper(title: str, *, age: int = 0, upvotes: int | None = None, **fields: object) -> Paper:
    created = PaperFactory(title=title, upvotes=upvotes, **fields)
    Paper.objects.filter(pk=created.pk).update(first_seen=timezone.now() - timedelta(days=age))
    return created


def like(target: Paper, times: int) -> None:
    for _ in range(times):
        Feedback.objects.create(subscriber=SubscriberFactory(), paper=target, kind="liked")


def click(target: Paper, times: int) -> None:
    """`times` readers' counted clicks (which clicks count: tests/emails/test_click_counting.py)."""
    for _ in range(times):
        digest = Digest.objects.create(subscriber=SubscriberFactory(), digest_date=TODAY)
        LinkEvent.objects.create(
            digest=digest, paper=target, kind=LinkEvent.Kind.CLICK, counted=True
        )


def test_it_shows_the_217_demo_papers_under_the_sign_up_form(client: Client) -> None:
    call_command("load_demo_papers")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('name="email"') < html.index('class="papers"')
    assert "Get trending papers in your email inbox once a day!" in html
    seen: list[str] = []
    for number in range(1, 10):
        seen += titles(client.get(f"/?page={number}").content.decode())
    assert len(seen) == len(set(seen)) == 217
    # No signal at all: the demo page's own order.
    assert seen[0] == "Unsupervised Dense Information Retrieval with Contrastive Learning"
    assert client.get("/?page=10").status_code == 404


def test_it_ranks_by_upvotes_likes_clicks_and_recency(client: Client) -> None:
    upvoted = paper("Upvoted today", upvotes=10)
    liked = paper("Liked by readers", upvotes=0)
    old = paper("Many upvotes but six days old", upvotes=50, age=6)
    clicked = paper("Upvoted and clicked", upvotes=10)
    paper("Too old for the week", upvotes=500, age=8)
    like(liked, 5)
    click(clicked, 3)

    listed = trending_list(TODAY)
    assert listed.ids == [liked.pk, clicked.pk, upvoted.pk, old.pk]
    assert [listed.counts[pk] for pk in listed.ids] == [5, 13, 10, 50]
    html = client.get("/").content.decode()
    assert titles(html) == [
        "Liked by readers",
        "Upvoted and clicked",
        "Upvoted today",
        "Many upvotes but six days old",
    ]
    assert "▲ 13</div>" in html


def test_a_paper_s_day_is_when_it_trended_else_published_else_first_seen() -> None:
    trended = paper("Trended yesterday", age=30, trending_on=TODAY - timedelta(days=1))
    published = paper("Published two days ago", age=30, published=NOW - timedelta(days=2))
    paper("Seen long ago", age=30)
    assert set(trending_list(TODAY).ids) == {trended.pk, published.pk}


def test_each_card_has_authors_categories_folded_abstract_links_and_count(client: Client) -> None:
    paper(
        "A well described paper",
        upvotes=7,
        canonical_id="2401.01234",
        authors=["A One", "B Two", "C Three", "D Four", "E Five"],
        categories=["cs.CL", "cs.LG"],
        abstract="Long abstract " * 40,
        abs_url="https://arxiv.org/abs/2401.01234",
        pdf_url="https://arxiv.org/pdf/2401.01234",
    )
    html = client.get("/").content.decode()
    assert "A One, B Two, C Three et al." in html
    assert '<span class="chip">cs.CL</span>' in html
    assert '<details class="abstract">' in html
    assert 'href="https://arxiv.org/abs/2401.01234"' in html
    assert 'href="https://arxiv.org/pdf/2401.01234"' in html
    assert 'href="/papers/2401.01234/"' in html
    assert "▲ 7</div>" in html


def test_html_in_paper_text_is_escaped(client: Client) -> None:
    paper("<script>alert(1)</script> Title", abstract="<img src=x onerror=alert(1)>")
    html = client.get("/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Title" in html
    assert "<img src=x" not in html


def test_a_card_links_only_web_urls(client: Client) -> None:
    paper("An old row", abs_url="file:///etc/passwd", pdf_url="javascript:alert(1)")
    paper("A good row", pdf_url="https://arxiv.org/pdf/2401.01234")
    html = client.get("/").content.decode()
    assert "javascript:" not in html
    assert "file:" not in html
    assert 'href="https://arxiv.org/pdf/2401.01234"' in html


def test_it_falls_back_to_the_latest_day_with_papers(client: Client) -> None:
    paper("Seen ten days ago", age=10)
    html = client.get("/").content.decode()
    assert titles(html) == ["Seen ten days ago"]
    assert "Nothing has trended yet today" in html
    assert "Trending on Monday 16 November 2026" in html


def test_an_empty_catalogue_shows_how_to_load_the_demo(client: Client) -> None:
    html = client.get("/").content.decode()
    assert "load_demo_papers" in html


def test_browsing_by_day_shows_that_day_s_week(client: Client) -> None:
    paper("Today's paper", upvotes=3)
    paper("From ten days ago", age=10)
    day = (TODAY - timedelta(days=10)).isoformat()
    for url in (f"/day/{day}/", f"/?day={day}", f"/papers/?day={day}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert titles(response.content.decode()) == ["From ten days ago"], url
    html = client.get(f"/day/{day}/").content.decode()
    assert 'href="/day/2026-11-15/"' in html
    assert 'href="/day/2026-11-17/"' in html


def test_pages_keep_the_day_in_their_links(client: Client) -> None:
    for n in range(30):
        paper(f"Old paper {n}", age=3)
    day = (TODAY - timedelta(days=3)).isoformat()
    html = client.get(f"/?day={day}").content.decode()
    assert f'href="?day={day}&amp;page=2"' in html
    assert len(titles(client.get(f"/?day={day}&page=2").content.decode())) == 5


def test_browsing_by_topic_matches_categories_or_keywords(client: Client) -> None:
    topic = TopicFactory(
        name="Robotics", slug="robotics", categories=["cs.RO"], keywords=["legged"]
    )
    paper("A robot arm", categories=["cs.RO"], upvotes=2)
    paper("Legged locomotion in the wild", categories=["cs.LG"], abstract="Walking.")
    paper("Protein folding", categories=["q-bio.BM"], abstract="Nothing about robots.")
    response = client.get(f"/topics/{topic.slug}/")
    assert response.status_code == 200
    assert titles(response.content.decode()) == ["A robot arm", "Legged locomotion in the wild"]
    assert "Trending in Robotics" in response.content.decode()


def test_the_daily_list_is_cached_and_a_warm_page_is_a_few_queries(
    client: Client, django_assert_max_num_queries
) -> None:
    paper("First", upvotes=1)
    client.get("/")
    paper("Added after the list was cached", upvotes=100)
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert titles(html) == ["First"]
    cache.clear()
    assert titles(client.get("/").content.decode())[0] == "Added after the list was cached"


def test_the_list_is_keyed_by_day(client: Client, clock) -> None:
    paper("This week", upvotes=1)
    client.get("/")
    clock.shift(timedelta(days=8))
    paper("Next week", upvotes=1)
    assert titles(client.get("/").content.decode()) == ["Next week"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/day/2026-11-27/", "has not happened yet"),
        ("/?day=2031-01-01", "has not happened yet"),
        ("/day/2026-02-30/", "is not a date"),
        ("/day/yesterday/", "is not a date"),
        ("/?day=2026-1-5", "is not a date"),
        ("/?day=%00", "is not a date"),
        ("/?day=" + "9" * 5000, "is not a date"),
        ("/day/1066-10-14/", "before arXiv began"),
        ("/?page=2", "no page 2"),
        ("/?page=0", "whole numbers"),
        ("/?page=-1", "whole numbers"),
        ("/?page=abc", "whole numbers"),
        ("/?page=99999999999999999999", "whole numbers"),
        ("/papers/?page=1.5", "whole numbers"),
        ("/topics/no-such-topic/", "Not found"),
        ("/topics/robotics/?page=3", "Not found"),
    ],
)
def test_bad_days_pages_and_topics_are_a_404_page_saying_why(
    client: Client, url: str, message: str
) -> None:
    paper("Only paper", upvotes=1)
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert message in html
    assert "See today's trending papers" in html


def test_a_sign_up_post_with_errors_still_shows_the_list(client: Client) -> None:
    paper("Still listed", upvotes=1)
    response = client.post("/", {"email": "not an address"})
    assert response.status_code == 400
    assert "Still listed" in response.content.decode()


@pytest.mark.parametrize(
    ("now", "day", "before", "after", "missing"),
    [
        ("2028-03-01T00:10Z", "2028-02-29", "2028-02-28", "2028-03-01", "2027-02-29"),
        ("2029-01-01T00:10Z", "2028-12-31", "2028-12-30", "2029-01-01", "2028-12-32"),
    ],
    ids=["leap day", "year end"],
)
def test_a_day_at_a_calendar_edge_has_its_papers_and_neighbours(
    client: Client, clock, now: str, day: str, before: str, after: str, missing: str
) -> None:
    clock.move_to(now)
    paper("Seen on the edge day", age=1, upvotes=2)
    html = client.get(f"/day/{day}/").content.decode()
    assert titles(html) == ["Seen on the edge day"]
    assert f'href="/day/{before}/"' in html
    assert f'href="/day/{after}/"' in html
    assert "Seen on the edge day" in titles(client.get("/").content.decode())
    response = client.get(f"/day/{missing}/")
    assert response.status_code == 404
    assert "is not a date" in response.content.decode()
