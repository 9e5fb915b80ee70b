"""Retention: old rows go, recent ones stay, and nothing the ledger needs goes early."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command

from emails import tasks
from emails.models import DeliveryEvent, Digest, LinkEvent, NightlyRun, Suppression
from emails.services import nightly, retention
from emails.services.retention import check_retention_settings, purge_expired
from emails.services.suppression import address_hash, is_suppressed, record_delivery_event
from emails.tasks import recover_deliveries, run_nightly
from ranking.models import IngestionRun, Recommendation
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.erasure import delete_subscriber
from tests.emails.delivery import assert_exactly_once
from tests.emails.delivery import due_subscribers as make_due
from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 2, tzinfo=UTC)  # past every default, audit events' 730 days too
LAST_WEEK = NOW - timedelta(days=6)


def make_rows(when: datetime, reader: Subscriber) -> dict[str, object]:
    """One row of each kind retention looks after, created at `when`."""
    with time_machine.travel(when, tick=False):
        day = when.date()
        digest = Digest.objects.create(subscriber=reader, digest_date=day, state="sent")
        return {
            "digest": digest,
            "link": LinkEvent.objects.create(digest=digest, paper=PaperFactory(), kind="click"),
            "event": DeliveryEvent.objects.create(
                email=reader.email, kind="soft_bounce", event_id=f"e-{when:%Y%m%d}"
            ),
            "rec": RecommendationFactory(subscriber=reader, run_date=day),
            "run": NightlyRun.objects.create(slot=when, status="done"),
            "ingestion": IngestionRun.objects.create(source="oai", status="done"),
            "audit": AuditEvent.objects.create(actor="system", action="something"),
            "signup": SubscriberFactory(status="pending", confirmed_at=None),
        }


def survivors() -> dict[str, set[int]]:
    models = {
        "digest": Digest,
        "link": LinkEvent,
        "event": DeliveryEvent,
        "rec": Recommendation,
        "run": NightlyRun,
        "ingestion": IngestionRun,
        "audit": AuditEvent,
    }
    left = {name: set(model.objects.values_list("pk", flat=True)) for name, model in models.items()}
    left["signup"] = set(Subscriber.objects.filter(status="pending").values_list("pk", flat=True))
    return left


def pks(rows: dict[str, object]) -> dict[str, set[int]]:
    return {name: {row.pk} for name, row in rows.items()}  # type: ignore[attr-defined]


def test_it_deletes_old_rows_and_keeps_recent_ones() -> None:
    reader = SubscriberFactory()
    make_rows(LONG_AGO, reader)
    recent = make_rows(LAST_WEEK, reader)
    with time_machine.travel(NOW, tick=False):
        report = purge_expired()
    assert report == {
        "link events": 1,
        "digests": 1,
        "delivery events": 1,
        "recommendations": 1,
        "nightly runs": 1,
        "ingestion runs": 1,
        "audit events": 1,
        "unconfirmed sign-ups": 1,
        "non-subscriber addresses": 0,
    }
    left = survivors()
    left["audit"] -= set(
        AuditEvent.objects.filter(action="purged_unconfirmed").values_list("pk", flat=True)
    )
    assert left == pks(recent)
    assert Subscriber.objects.filter(pk=reader.pk).exists()


def test_a_second_run_finds_nothing_left() -> None:
    make_rows(LONG_AGO, SubscriberFactory())
    with time_machine.travel(NOW, tick=False):
        purge_expired()
        assert set(purge_expired().values()) == {0}


def test_a_dry_run_counts_and_deletes_nothing() -> None:
    old = make_rows(LONG_AGO, SubscriberFactory())
    with time_machine.travel(NOW, tick=False):
        report = purge_expired(dry_run=True)
    assert report["digests"] == report["unconfirmed sign-ups"] == 1
    assert report["link events"] == 1
    assert survivors() == pks(old)


def test_an_unfinished_ingestion_run_is_kept() -> None:
    with time_machine.travel(LONG_AGO, tick=False):
        running = IngestionRun.objects.create(source="oai")
    with time_machine.travel(NOW, tick=False):
        assert purge_expired()["ingestion runs"] == 0
    assert IngestionRun.objects.filter(pk=running.pk).exists()


def test_ledger_rows_stay_until_their_day_is_past_and_resolved(settings) -> None:
    for name in [s for s in dir(django_settings) if s.startswith("RETENTION_")]:
        setattr(settings, name, 1)
    settings.DIGEST_LINK_MAX_AGE_DAYS = settings.DIGEST_NUDGE_INTERVAL_DAYS = 1
    reader, other = SubscriberFactory(), SubscriberFactory()
    two_days_ago, five_days_ago = NOW.date() - timedelta(days=2), NOW.date() - timedelta(days=5)
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        stuck = {
            state: Digest.objects.create(
                subscriber=SubscriberFactory(), digest_date=five_days_ago, state=state
            )
            for state in ("pending", "sending", "uncertain", "failed")
        }
    recent = Digest.objects.create(subscriber=reader, digest_date=two_days_ago, state="sent")
    old = Digest.objects.create(subscriber=other, digest_date=five_days_ago, state="sent")
    RecommendationFactory(subscriber=reader, run_date=two_days_ago)
    RecommendationFactory(subscriber=other, run_date=five_days_ago)
    recent_run = NightlyRun.objects.create(slot=NOW - timedelta(days=2))
    NightlyRun.objects.create(slot=NOW - timedelta(days=5))
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        bounce = DeliveryEvent.objects.create(email=reader.email, kind="soft_bounce", event_id="x")
    with time_machine.travel(NOW, tick=False):
        report = purge_expired()
    assert (report["digests"], report["recommendations"], report["nightly runs"]) == (3, 1, 1)
    left = set(Digest.objects.values_list("pk", flat=True))
    assert left == {recent.pk, stuck["pending"].pk, stuck["sending"].pk}
    assert old.pk not in left
    assert list(Recommendation.objects.values_list("run_date", flat=True)) == [two_days_ago]
    assert list(NightlyRun.objects.values_list("pk", flat=True)) == [recent_run.pk]
    # Soft bounces are counted over SOFT_BOUNCE_WINDOW_DAYS (30): kept that long.
    assert DeliveryEvent.objects.filter(pk=bounce.pk).exists()


def test_a_purge_between_runs_never_makes_a_day_send_twice(
    smtp_server: SMTPServer, settings
) -> None:
    for name in [s for s in dir(django_settings) if s.startswith("RETENTION_")]:
        setattr(settings, name, 1)
    settings.DIGEST_LINK_MAX_AGE_DAYS = settings.DIGEST_NUDGE_INTERVAL_DAYS = 1
    day, slot = date(2026, 11, 26), datetime(2026, 11, 26, 7, tzinfo=UTC)
    readers = make_due(3, day)
    with time_machine.travel(slot + timedelta(minutes=1)):
        run_nightly.delay(slot.isoformat()).get()
    assert_exactly_once(smtp_server, readers, day)
    with time_machine.travel(slot + timedelta(days=2)):
        purge_expired()
        # Everything that could deliver the day again: the slot's beat tick, the sweep, a
        # rebuilt chunk (e.g. a re-planned run).
        assert run_nightly.delay(slot.isoformat()).get() is None
        recover_deliveries.delay(min_age=0).get()
        pending, _ = nightly.build_chunk([r.pk for r in readers], day)
        assert pending == []
    assert_exactly_once(smtp_server, readers, day)


def test_batches_delete_everything() -> None:
    reader = SubscriberFactory()
    RecommendationFactory.create_batch(5, subscriber=reader, run_date=date(2024, 1, 1))
    deleted = retention.delete_in_batches(Recommendation.objects.all(), batch=2)
    assert deleted == 5
    assert not Recommendation.objects.exists()


def test_the_command_prints_one_line(settings) -> None:
    make_rows(LONG_AGO, SubscriberFactory())
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_expired", "--dry-run", stdout=out)
        assert out.getvalue().startswith("purge_expired: would delete 1 link events, 1 digests")
        out = StringIO()
        call_command("purge_expired", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("purge_expired: deleted 1 link events")
    assert lines[0].endswith("1 unconfirmed sign-ups; hashed 0 non-subscriber addresses")


def test_the_task_runs_the_purge_and_beat_schedules_it() -> None:
    make_rows(LONG_AGO, SubscriberFactory())
    with time_machine.travel(NOW, tick=False):
        assert tasks.purge_expired_data.delay().get()["digests"] == 1
    entries = {e["task"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "emails.tasks.purge_expired_data" in entries


def test_checks_report_a_setting_below_its_floor_and_a_bad_value(settings) -> None:
    assert check_retention_settings() == []
    settings.RETENTION_DIGEST_DAYS = 30
    settings.RETENTION_LINK_EVENT_DAYS = 0
    settings.RETENTION_UNCONFIRMED_DAYS = 2
    found = {(m.id, m.msg.split("=")[0].split(" ")[0]) for m in check_retention_settings()}
    assert found == {
        ("paperboy.W201", "RETENTION_DIGEST_DAYS"),
        ("paperboy.E201", "RETENTION_LINK_EVENT_DAYS"),
        ("paperboy.W201", "RETENTION_UNCONFIRMED_DAYS"),
    }


def test_a_bounce_after_a_deletion_keeps_only_the_hash() -> None:
    reader, other = SubscriberFactory(email="gone@example.org"), SubscriberFactory()
    delete_subscriber(reader)
    record_delivery_event("gone@example.org", "hard_bounce", "late", detail="gone@example.org")
    record_delivery_event(other.email, "hard_bounce", "kept")
    Suppression.objects.create(email="blocked@example.org", reason="manual")
    assert purge_expired(dry_run=True)["non-subscriber addresses"] == 2
    assert purge_expired()["non-subscriber addresses"] == 2
    emails = set(Suppression.objects.values_list("email", flat=True))
    hashed = {address_hash("gone@example.org"), address_hash("blocked@example.org")}
    assert emails == {other.email, *hashed}
    assert list(DeliveryEvent.objects.values_list("email", flat=True)) == [other.email]
    assert is_suppressed("gone@example.org")
    assert is_suppressed("blocked@example.org")
    assert purge_expired()["non-subscriber addresses"] == 0


def test_every_retention_setting_is_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    documented = {name: (root / name).read_text() for name in (".env.example", "README.md")}
    settings_ = [rule.setting for rule in retention.RULES] + ["RETENTION_UNCONFIRMED_DAYS"]
    for setting in settings_:
        assert f"{setting}=" in documented[".env.example"], setting
        assert f"`{setting}`" in documented["README.md"], setting
        assert f"`{setting}`" in (root / "docs" / "operations.md").read_text(), setting
