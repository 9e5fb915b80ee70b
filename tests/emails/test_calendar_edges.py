"""The calendar's edges, end to end: every hourly run across a leap day, a year end and the
daylight-saving changes of subscribers' time zones; the recovery sweep across them.

Each night is run the way beat runs it (one `run_nightly` per UTC hour, with the clock at that
hour) and checked against an independent reckoning of each subscriber's local dates.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from emails.models import Digest
from emails.tasks import recover_deliveries, run_nightly
from subscriptions.models import Subscriber
from tests.emails.delivery import received_by, record_pending
from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
HOURS = 72  # a local day anywhere from UTC-12 to UTC+14 lies inside three UTC days

# (time zone, delivery hour, weekly day or None for daily)
READERS = [
    ("UTC", 0, None),
    ("UTC", 23, None),
    ("Pacific/Auckland", 8, None),
    ("Pacific/Kiritimati", 23, None),  # UTC+14: its dates run ahead of everyone's
    ("America/Los_Angeles", 22, None),
    ("Europe/Paris", 2, None),  # skipped in spring, repeated in autumn
    ("America/New_York", 1, None),  # repeated in autumn
    ("Asia/Kolkata", 6, None),  # UTC+05:30
    ("Europe/London", 7, 1),  # weekly, Tuesdays
]
EDGES = {
    # The edge day is the middle one of the three UTC days run.
    "leap day": date(2028, 2, 29),
    "year end": date(2027, 12, 31),
    "month end": date(2027, 4, 30),
    "Paris and London spring forward": date(2027, 3, 28),
    "Paris and London fall back": date(2027, 10, 31),
    "New York falls back": date(2027, 11, 7),
    "New York springs forward": date(2027, 3, 14),
}


def expected_dates(reader: Subscriber, first: datetime, last: datetime) -> list[date]:
    """Local dates whose delivery is due in [first, last): at the first UTC hour (slot) that
    reaches the local delivery hour. With fold=0 a repeated local hour is its first occurrence,
    and a skipped one maps to the instant of the jump, so its slot is the one after the jump."""
    zone = zoneinfo.ZoneInfo(reader.time_zone)
    dates = []
    day = first.astimezone(zone).date() - timedelta(days=1)
    while day <= last.astimezone(zone).date():
        local = datetime(day.year, day.month, day.day, reader.delivery_hour, tzinfo=zone)
        instant = local.astimezone(UTC)
        due = instant.replace(minute=0)
        if due < instant:  # a half-hour zone: the next slot reaches the local hour
            due += timedelta(hours=1)
        weekly_ok = reader.frequency == "daily" or day.weekday() == reader.weekly_day
        if first <= due < last and weekly_ok:
            dates.append(day)
        day += timedelta(days=1)
    return dates


def make_readers(first: datetime) -> list[Subscriber]:
    papers = PaperFactory.create_batch(3)
    readers = []
    for n, (zone, hour, weekday) in enumerate(READERS):
        reader = SubscriberFactory(
            email=f"edge{n}@example.org",
            time_zone=zone,
            delivery_hour=hour,
            frequency="weekly" if weekday is not None else "daily",
            weekly_day=weekday or 0,
        )
        readers.append(reader)
        for offset in range(-2, HOURS // 24 + 2):  # recommendations for every local date
            for rank, paper in enumerate(papers, start=1):
                RecommendationFactory(
                    subscriber=reader,
                    paper=paper,
                    run_date=first.date() + timedelta(days=offset),
                    rank=rank,
                )
    return readers


@pytest.mark.parametrize("edge", list(EDGES), ids=list(EDGES))
def test_every_hour_around_an_edge_sends_each_reader_one_digest_per_local_date(
    edge: str, smtp_server: SMTPServer
) -> None:
    first = datetime.combine(EDGES[edge] - timedelta(days=1), datetime.min.time(), UTC)
    last = first + timedelta(hours=HOURS)
    with time_machine.travel(first - timedelta(minutes=30), tick=False):
        readers = make_readers(first)
    for hour in range(HOURS):
        slot = first + timedelta(hours=hour)
        with time_machine.travel(slot + timedelta(minutes=2), tick=True):
            run_nightly.delay(slot.isoformat())
    assert not Digest.objects.exclude(state="sent").exists()
    for reader in readers:
        got = sorted(Digest.objects.filter(subscriber=reader).values_list("digest_date", flat=True))
        assert got == expected_dates(reader, first, last), (reader.time_zone, reader.delivery_hour)
    assert received_by(smtp_server) == Counter(
        {r.email: len(expected_dates(r, first, last)) for r in readers}
    )
    # The edge day's digest is headed with its own date and day name.
    edge_digest = Digest.objects.get(subscriber=readers[0], digest_date=EDGES[edge])
    heading = f"{EDGES[edge]:%A} {EDGES[edge].day} {EDGES[edge]:%B %Y}"
    message = next(m for m in smtp_server.messages if m["Message-ID"] == edge_digest.message_id)
    assert heading in message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("now", "late", "too_late"),
    [
        ("2028-01-01T00:10Z", date(2027, 12, 30), date(2027, 12, 29)),  # across a year end
        ("2028-03-01T00:10Z", date(2028, 2, 28), date(2028, 2, 27)),  # after a leap day
        ("2027-03-01T00:10Z", date(2027, 2, 27), date(2027, 2, 26)),  # no leap day
    ],
)
def test_the_sweep_sends_two_day_late_digests_and_expires_older_ones(
    now: str, late: date, too_late: date, smtp_server: SMTPServer
) -> None:
    papers = PaperFactory.create_batch(2)
    with time_machine.travel(now, tick=True):
        rows = {}
        for day in (late, too_late):
            reader = SubscriberFactory(email=f"late-{day}@example.org")
            for rank, paper in enumerate(papers, start=1):
                RecommendationFactory(subscriber=reader, paper=paper, run_date=day, rank=rank)
            (rows[day],) = record_pending([reader], day)
        # Their night's tasks were lost (e.g. a Redis restart): only the sweep knows of them.
        report = recover_deliveries.delay(0).get()
    assert (report["pending"], report["expired"]) == (1, 1)
    late_row, expired = Digest.objects.get(pk=rows[late]), Digest.objects.get(pk=rows[too_late])
    assert late_row.state == "sent"
    assert expired.state == "failed"
    assert expired.last_error.startswith("expired: still unsent on ")
    assert received_by(smtp_server) == {f"late-{late}@example.org": 1}
