"""Which digest clicks count toward public trending: every click is recorded and redirects, but
only a reader's first click on a paper, away from delivery and outside a burst, counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from emails.models import Digest, LinkEvent
from ranking.models import Paper
from subscriptions.models import Subscriber
from tests import clock
from tests.emails.clicking import delivered_links, stopped_clock
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
LATER = timedelta(hours=1)  # well after delivery: a person reading the email


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with stopped_clock() as traveller:
        yield traveller


def counted() -> list[tuple[bool, str]]:
    """(counted, reason) of every recorded click, oldest first."""
    rows = LinkEvent.objects.filter(kind="click").order_by("created_at", "id")
    return list(rows.values_list("counted", "reason"))


def test_an_ordinary_click_counts(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    response = client.get(paths[0])
    assert response.status_code == 302
    assert response["Location"] == papers[0].abs_url
    assert counted() == [(True, "")]


@pytest.mark.parametrize("sent", [True, False], ids=["sent", "handed off, no reply yet"])
def test_a_click_seconds_after_delivery_is_recorded_but_not_counted(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date, sent: bool
) -> None:
    paths = delivered_links(subscriber, papers, today, sent=sent)
    frozen.shift(timedelta(seconds=4))
    response = client.get(paths[0], HTTP_USER_AGENT="Mozilla/5.0 (Safe Links)")
    assert response["Location"] == papers[0].abs_url
    assert counted() == [(False, "at_delivery")]
    assert LinkEvent.objects.get().user_agent == "Mozilla/5.0 (Safe Links)"


def test_the_reader_s_own_click_after_the_scanner_s_counts(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(timedelta(seconds=3))
    client.get(paths[0])
    frozen.shift(LATER)
    client.get(paths[0])
    assert counted() == [(False, "at_delivery"), (True, "")]


def test_a_burst_over_a_digest_s_links_is_recorded_but_none_counted(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    for path, paper in zip(paths, papers, strict=True):
        assert client.get(path)["Location"] == paper.abs_url
        frozen.shift(timedelta(milliseconds=400))
    # The first click looked like a reader's until the next ones came: un-counted with them.
    assert counted() == [(False, "burst")] * len(papers)


def test_the_same_link_many_times_at_once_is_a_burst(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    for _ in range(5):
        assert client.get(paths[1])["Location"] == papers[1].abs_url
        frozen.shift(timedelta(milliseconds=100))
    assert [reason for _, reason in counted()] == ["burst"] * 5


def test_a_double_click_is_no_burst_and_counts_once(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    client.get(paths[0])
    frozen.shift(timedelta(milliseconds=300))
    client.get(paths[0])
    assert counted() == [(True, ""), (False, "repeat")]


def test_a_reader_counts_once_per_paper_even_across_digests(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    first = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    client.get(first[0])
    frozen.shift(timedelta(days=1))
    second = delivered_links(subscriber, papers[:1], today + timedelta(days=1))
    frozen.shift(LATER)
    client.get(second[0])
    other = delivered_links(SubscriberFactory(), papers[:1], today + timedelta(days=1))
    frozen.shift(LATER)
    client.get(other[0])
    assert counted() == [(True, ""), (False, "repeat"), (True, "")]


def test_clicks_a_minute_apart_are_ordinary_reading(
    client: Client, frozen, subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(LATER)
    for path in paths:
        client.get(path)
        frozen.shift(timedelta(minutes=1))
    assert counted() == [(True, "")] * len(papers)


def test_the_admin_shows_whether_a_click_counted_and_why(
    admin_client: Client, client: Client, frozen, subscriber, papers, today: date
) -> None:
    paths = delivered_links(subscriber, papers, today)
    frozen.shift(timedelta(seconds=2))
    client.get(paths[0])
    page = admin_client.get("/admin/emails/linkevent/").content.decode()
    assert "column-counted" in page
    assert '<td class="field-counted"><img src="/static/admin/img/icon-no.svg" alt="False">' in page
    assert '<td class="field-reason">Seconds after delivery (mail scanner)</td>' in page
    filtered = admin_client.get("/admin/emails/linkevent/?counted__exact=1")
    assert "0 link events" in filtered.content.decode()
    event = LinkEvent.objects.get()
    detail = admin_client.get(f"/admin/emails/linkevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert "Counts toward public trending" in detail.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_each_reader_s_first_click_from_before_the_rule(
    subscriber: Subscriber, papers: list[Paper], today: date
) -> None:
    digest = Digest.objects.create(subscriber=subscriber, digest_date=today, sent_at=clock.now())
    other = Digest.objects.create(subscriber=SubscriberFactory(), digest_date=today)
    rows = [
        (digest, papers[0], "click", timedelta(seconds=5)),  # the scanner
        (digest, papers[0], "click", LATER),  # the reader
        (digest, papers[0], "click", 2 * LATER),  # the reader again
        (digest, papers[0], "more", 2 * LATER),
        (other, papers[0], "click", LATER),  # never sent: no scanner rule
        (other, papers[0], "click", 2 * LATER),
    ]
    for where, paper, kind, after in rows:
        event = LinkEvent.objects.create(digest=where, paper=paper, kind=kind)
        LinkEvent.objects.filter(pk=event.pk).update(created_at=clock.now() + after)
    executor = MigrationExecutor(connection)
    executor.migrate([("emails", "0003_digest_nudged_interests")])
    executor.loader.build_graph()
    try:
        executor.migrate([("emails", "0004_linkevent_counted")])
        assert list(LinkEvent.objects.order_by("pk").values_list("counted", "reason")) == [
            (False, "at_delivery"),
            (True, ""),
            (False, "repeat"),
            (False, ""),
            (True, ""),
            (False, "repeat"),
        ]
    finally:  # the later migrations back, for the tests that run after this one
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
