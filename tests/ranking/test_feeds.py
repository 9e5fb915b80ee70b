"""Atom feeds: the public trending list (per day, per topic) and each subscriber's own feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import feedparser
import pytest
import time_machine
from django.test import Client

from emails.models import Digest
from emails.services.digest import record_digest
from emails.viewmodel import DigestItem
from ranking.models import Paper
from subscriptions import tokens
from subscriptions.models import Subscriber
from subscriptions.services.links import feed_url, manage_url
from subscriptions.services.preferences import unsubscribe
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def parse(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_trending_feed_is_valid_atom_in_front_page_order(client: Client) -> None:
    PaperFactory(title="Second", upvotes=1)
    PaperFactory(
        title="First <b>bold</b> & co", upvotes=9, canonical_id="2401.01234", authors=["Ada"]
    )
    feed = parse(client.get("/feeds/trending/"))
    assert [e.title for e in feed.entries] == ["First <b>bold</b> & co", "Second"]
    first = feed.entries[0]
    assert first.link == "http://testserver/papers/2401.01234/"
    assert first.author == "Ada"
    assert first.id
    assert first.updated


def test_a_day_feed_and_a_topic_feed(client: Client) -> None:
    PaperFactory(title="Robot arms", categories=["cs.RO"], upvotes=1)
    PaperFactory(title="Proteins", categories=["q-bio.BM"], upvotes=1)
    TopicFactory(name="Robotics", slug="robotics", categories=["cs.RO"], keywords=[])
    day = parse(client.get("/feeds/trending/2026-11-26/"))
    assert {e.title for e in day.entries} == {"Robot arms", "Proteins"}
    assert "26 November 2026" in day.feed.title
    topic = parse(client.get("/feeds/topics/robotics/"))
    assert [e.title for e in topic.entries] == ["Robot arms"]


def test_the_front_page_links_its_feed(client: Client) -> None:
    PaperFactory(upvotes=1)
    html = client.get("/").content.decode()
    assert 'type="application/atom+xml"' in html
    assert 'href="/feeds/trending/2026-11-26/"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/trending/2026-11-27/",
        "/feeds/trending/2026-13-01/",
        "/feeds/trending/nope/",
        "/feeds/topics/no-such-topic/",
    ],
)
def test_bad_feed_addresses_are_404(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.fixture
def reader() -> Subscriber:
    return SubscriberFactory(email="ada@example.org")


def sent_digest(reader: Subscriber, day: date, picks: list[tuple[str, str]]) -> Digest:
    items = [
        DigestItem(PaperFactory(title=title), 1.0, explanation, interest="retrieval")
        for title, explanation in picks
    ]
    digest = record_digest(reader, day, items)
    Digest.objects.filter(pk=digest.pk).update(state=Digest.State.SENT, sent_at=NOW)
    return digest


def test_the_personal_feed_carries_the_sent_digests_newest_first(
    client: Client, reader: Subscriber
) -> None:
    sent_digest(reader, date(2026, 11, 24), [("Older pick", "Because you like retrieval.")])
    sent_digest(
        reader,
        date(2026, 11, 25),
        [("Newest pick", "Cites a paper you liked."), ("Second pick", "")],
    )
    unsent = record_digest(
        reader, date(2026, 11, 26), [DigestItem(PaperFactory(title="Not sent"), 1.0, "x")]
    )
    assert unsent.state == Digest.State.PENDING
    other = SubscriberFactory()
    sent_digest(other, date(2026, 11, 25), [("Someone else's pick", "x")])

    response = client.get(feed_url(reader).removeprefix("http://testserver"))
    feed = parse(response)
    assert [e.title for e in feed.entries] == ["Newest pick", "Second pick", "Older pick"]
    assert shown(feed.entries[0].summary_detail)[1].startswith("Cites a paper you liked.")
    assert shown(feed.entries[1].summary_detail)[1].startswith(
        "Matches your interest in retrieval."
    )
    assert shown(feed.entries[2].summary_detail)[1].startswith("Because you like retrieval.")
    assert len({e.id for e in feed.entries}) == 3
    assert response["X-Robots-Tag"] == "noindex"
    assert "ada@example.org" not in response.content.decode()


def test_the_preference_centre_shows_the_feed_link_and_can_reset_it(
    client: Client, reader: Subscriber
) -> None:
    sent_digest(reader, date(2026, 11, 25), [("A pick", "Why.")])
    manage = manage_url(reader).removeprefix("http://testserver")
    html = client.get(manage).content.decode()
    old = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', html).group(1)
    old_path = old.removeprefix("http://testserver")
    assert parse(client.get(old_path)).entries

    response = client.post(manage, {"action": "reset_feed"})
    assert response.status_code == 302
    html = client.get(manage).content.decode()
    new = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', html).group(1)
    assert new != old
    assert client.get(old_path).status_code == 404
    assert parse(client.get(new.removeprefix("http://testserver"))).entries
    reader.refresh_from_db()
    assert reader.feed_token_version == 2
    assert reader.audit_events.filter(action="feed_link_reset").exists()


def test_an_unsubscribed_or_deleted_reader_s_feed_is_gone(
    client: Client, reader: Subscriber
) -> None:
    path = feed_url(reader).removeprefix("http://testserver")
    unsubscribe(reader)
    assert client.get(path).status_code == 404
    reader.delete()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "make_token",
    [
        lambda s: "garbage",
        lambda s: "x" * 5000,
        lambda s: tokens.make_token("manage", s.pk, s.token_version),
        lambda s: tokens.make_token("feed", s.pk, s.feed_token_version + 1),
        lambda s: tokens.make_token("feed", s.pk + 1000, 1),
        lambda s: tokens.make_token("feed", s.pk, s.feed_token_version)[:-2] + "zz",
    ],
    ids=["garbage", "huge", "manage-token", "future-version", "no-such-subscriber", "tampered"],
)
def test_invalid_or_revoked_feed_tokens_are_404(
    client: Client, reader: Subscriber, make_token
) -> None:
    response = client.get(f"/feeds/you/{make_token(reader)}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.clock("2026-11-26T12:00Z", tick=False)
def test_an_entry_never_gives_first_seen_as_its_publication_date(client: Client) -> None:
    """Only the catalogue's date is known: <updated> has it, <published> is left out."""
    PaperFactory(title="Undated", upvotes=2, published=None, trending_on=None)
    PaperFactory(title="Dated", upvotes=1, published=datetime(2026, 11, 25, 9, tzinfo=UTC))
    undated, dated = parse(client.get("/feeds/trending/")).entries
    assert "published" not in undated
    assert undated.updated.startswith("2026-11-26T12:00")
    assert dated.published.startswith("2026-11-25T09:00")


# What a hostile or merely unlucky source can put in a paper's text: each must reach a feed
# reader as these literal characters, never as markup.
HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "&amp;", "p < 0.05"]
HOSTILE_TEXT = " ".join(HOSTILE)


class ShownText(HTMLParser):
    """What a reader displays for an HTML text construct: its elements and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def shown(detail: feedparser.FeedParserDict) -> tuple[set[str], str]:
    """The elements and the text a reader shows for a title or summary, by its content type."""
    if detail.type == "text/plain":
        return set(), detail.value
    assert detail.type == "text/html", detail.type
    parser = ShownText()
    parser.feed(detail.value)
    parser.close()
    return set(parser.tags), parser.text


def assert_shown_as_text(response) -> None:
    """Both as a reader shows it (feedparser's sanitiser on) and as the raw value it was sent."""
    for sanitize in (True, False):
        feed = feedparser.parse(response.content, sanitize_html=sanitize)
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.entries
        for entry in feed.entries:
            for detail in (entry.title_detail, entry.summary_detail):
                tags, text = shown(detail)
                assert tags <= {"p"}, (tags, detail.value)
                for literal in HOSTILE:
                    assert literal in text, (literal, detail.value)


def hostile_paper(**kwargs: object) -> Paper:
    return PaperFactory(
        title=HOSTILE_TEXT, authors=HOSTILE, abstract=HOSTILE_TEXT, upvotes=3, **kwargs
    )


@pytest.mark.parametrize(
    "url", ["/feeds/trending/", "/feeds/trending/2026-11-26/", "/feeds/topics/robotics/"]
)
def test_public_feeds_show_markup_in_paper_text_as_text(client: Client, url: str) -> None:
    TopicFactory(name="Robotics", slug="robotics", categories=["cs.RO"], keywords=[])
    hostile_paper(categories=["cs.RO"])
    assert_shown_as_text(client.get(url))


def test_the_personal_feed_shows_markup_in_paper_text_and_explanations_as_text(
    client: Client, reader: Subscriber
) -> None:
    digest = record_digest(
        reader,
        date(2026, 11, 25),
        [DigestItem(hostile_paper(), 1.0, HOSTILE_TEXT, interest="a<b & c")],
    )
    Digest.objects.filter(pk=digest.pk).update(state=Digest.State.SENT, sent_at=NOW)
    response = client.get(feed_url(reader).removeprefix("http://testserver"))
    assert_shown_as_text(response)
    entry = feedparser.parse(response.content).entries[0]
    assert entry.tags[0].term == "a<b & c"
    assert shown(entry.summary_detail)[1].startswith(HOSTILE_TEXT)
