"""Trending from people, not requests: digest clicks cannot buy a paper its place on the front
page or in the trending feed (security finding 1 of issue 17)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import feedparser
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from emails.models import Digest, LinkEvent
from emails.services.feedback import paper_target_url
from ranking.models import Paper
from ranking.services.trending import READERS_CAP, readers_signal, trending_list
from subscriptions.models import Feedback, Subscriber
from tests.emails.clicking import delivered_links, stopped_clock
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with stopped_clock() as traveller:
        yield traveller


def front_page_titles(client: Client) -> list[str]:
    html = client.get("/").content.decode()
    return re.findall(r'<h3><a href="/papers/[^"]+/">([^<]+)</a></h3>', html)


def feed_titles(client: Client) -> list[str]:
    response = client.get("/feeds/trending/")
    assert response.status_code == 200
    return [entry.title for entry in feedparser.parse(response.content).entries]


def readers(target: Paper, *, clicks: int = 0, likes: int = 0) -> None:
    """`clicks` readers' counted clicks and `likes` readers' likes on `target`, in bulk."""
    people = Subscriber.objects.bulk_create(
        SubscriberFactory.build(email=f"crowd{n}@example.org") for n in range(max(clicks, likes))
    )
    digests = Digest.objects.bulk_create(
        Digest(subscriber=s, digest_date=target.first_seen.date()) for s in people[:clicks]
    )
    LinkEvent.objects.bulk_create(
        LinkEvent(digest=d, paper=target, kind=LinkEvent.Kind.CLICK, counted=True) for d in digests
    )
    Feedback.objects.bulk_create(
        Feedback(subscriber=s, paper=target, kind=Feedback.Kind.LIKED) for s in people[:likes]
    )


@pytest.mark.parametrize(
    "pace",
    [timedelta(seconds=83) / 1100, timedelta(seconds=3)],
    ids=["the finding's 83 seconds", "one every three seconds"],
)
def test_1100_clicks_of_one_link_count_at_most_once_and_stay_below_999_upvotes(
    client: Client, frozen, today: date, pace: timedelta
) -> None:
    upvoted = PaperFactory(title="Upvoted on Hugging Face", upvotes=999)
    for n in range(30):
        PaperFactory(title=f"Filler {n}", upvotes=n)
    target = PaperFactory(title="Clicked by one reader", upvotes=0)
    [path] = delivered_links(SubscriberFactory(), [target], today)
    frozen.shift(timedelta(hours=1))
    for _ in range(1100):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == paper_target_url(target)
        frozen.shift(pace)

    assert LinkEvent.objects.filter(paper=target).count() == 1100
    assert LinkEvent.objects.filter(paper=target, counted=True).count() <= 1
    listed = trending_list(today)
    assert listed.counts.get(target.pk, 0) <= 1
    assert listed.ids[0] == upvoted.pk
    assert front_page_titles(client)[0] == "Upvoted on Hugging Face"
    assert feed_titles(client)[0] == "Upvoted on Hugging Face"
    # Its one counted click at most, next to the papers with one upvote, nowhere near the top.
    titles = feed_titles(client)
    assert titles.index("Clicked by one reader") > titles.index("Filler 2")


def test_one_reader_s_click_counts_once_on_the_front_page(
    client: Client, frozen, today: date
) -> None:
    target = PaperFactory(title="Read by one reader", upvotes=1)
    PaperFactory(title="Two upvotes", upvotes=2)
    PaperFactory(title="Three upvotes", upvotes=3)
    [path] = delivered_links(SubscriberFactory(), [target], today)
    for _ in range(3):
        frozen.shift(timedelta(hours=1))
        client.get(path)
    # One click: 1 upvote + 1 reader ties "Two upvotes" (and keeps the earlier pk first);
    # counting all three would have put it above "Three upvotes".
    assert front_page_titles(client) == ["Three upvotes", "Read by one reader", "Two upvotes"]
    # The day the front page is on now: three hours on may be past midnight (CI's moved clock).
    assert trending_list(timezone.now().date()).counts[target.pk] == 2


def test_readers_lift_a_paper_by_at_most_the_cap(client: Client, frozen, today: date) -> None:
    far_ahead = PaperFactory(title="Far more upvotes", upvotes=READERS_CAP + 10)
    within_reach = PaperFactory(title="Fewer upvotes", upvotes=READERS_CAP - 10)
    crowded = PaperFactory(title="Clicked and liked by many readers", upvotes=0)
    readers(crowded, clicks=1000, likes=300)
    assert front_page_titles(client) == [
        "Far more upvotes",
        "Clicked and liked by many readers",
        "Fewer upvotes",
    ]
    assert feed_titles(client)[0] == "Far more upvotes"
    assert trending_list(today).ids == [far_ahead.pk, crowded.pk, within_reach.pk]


def test_the_readers_term_is_linear_for_a_few_then_log_scaled_and_capped() -> None:
    assert readers_signal(0, 0) == 0
    assert readers_signal(likes=5, clicks=3) == 18  # a few readers: 3 per like, 1 per click
    values = [readers_signal(likes, clicks) for likes in range(0, 400, 7) for clicks in (0, 50)]
    assert max(values) == READERS_CAP
    steps = [readers_signal(0, clicks) for clicks in range(0, 2000)]
    assert steps == sorted(steps)
    assert readers_signal(0, 40) - readers_signal(0, 20) < 20  # past the knee, each counts less
