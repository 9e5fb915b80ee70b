"""The nightly run: who is due in a slot, and the whole rank -> build -> send chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import time_machine
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.models import Digest, NightlyRun
from emails.services import ledger
from emails.services.nightly import due_subscribers, encode_new_papers, local_due
from emails.services.send import send_digests
from emails.tasks import recover_deliveries, run_nightly
from ranking.models import IngestionRun
from ranking.services import encoding
from tests.emails.delivery import DAY, ON_DAY, SLOT, assert_exactly_once, record_pending, states
from tests.emails.delivery import due_subscribers as make_due
from tests.factories import PaperFactory, SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = ON_DAY


def test_local_due_maps_a_utc_slot_to_local_hours() -> None:
    assert local_due("Europe/Paris", SLOT) == (DAY, 3, range(8, 9))
    assert local_due("Pacific/Auckland", SLOT) == (date(2026, 11, 26), 3, range(20, 21))
    assert local_due("America/Los_Angeles", SLOT) == (date(2026, 11, 25), 2, range(23, 24))


def test_local_due_covers_hours_skipped_by_daylight_saving() -> None:
    # 2027-03-28 02:00 Paris does not exist: the 01:00 UTC slot (03:00 local) covers 02 and 03.
    slot = datetime(2027, 3, 28, 1, tzinfo=UTC)
    assert local_due("Europe/Paris", slot) == (date(2027, 3, 28), 6, range(2, 4))


def test_local_due_gives_a_repeated_hour_only_once() -> None:
    # 2026-10-25: 02:00 Paris happens twice (00:00 and 01:00 UTC).
    first = local_due("Europe/Paris", datetime(2026, 10, 25, 0, tzinfo=UTC))
    second = local_due("Europe/Paris", datetime(2026, 10, 25, 1, tzinfo=UTC))
    assert list(first[2]) == [2]
    assert list(second[2]) == []


@pytest.mark.django_db
def test_due_subscribers_follow_time_zone_frequency_and_status() -> None:
    paris = SubscriberFactory(time_zone="Europe/Paris", delivery_hour=8)
    utc = SubscriberFactory(time_zone="UTC", delivery_hour=7)
    weekly_today = SubscriberFactory(frequency="weekly", weekly_day=3, delivery_hour=7)
    SubscriberFactory(frequency="weekly", weekly_day=4, delivery_hour=7)  # tomorrow
    SubscriberFactory(delivery_hour=8)  # next hour
    SubscriberFactory(delivery_hour=7, paused=True)
    SubscriberFactory(delivery_hour=7, status="pending")
    la = SubscriberFactory(time_zone="America/Los_Angeles", delivery_hour=23)
    due = due_subscribers(SLOT)
    assert sorted(due[DAY]) == sorted([paris.pk, utc.pk, weekly_today.pk])
    assert due[date(2026, 11, 25)] == [la.pk]


@pytest.mark.django_db
def test_a_run_sends_every_due_subscriber_one_digest_and_records_it(
    smtp_server: SMTPServer, settings
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 4
    ingestion = IngestionRun.objects.create(source="oai")
    readers = make_due(10, DAY)
    SubscriberFactory(delivery_hour=9)  # not due
    run_id = run_nightly.delay(SLOT.isoformat()).get()
    assert_exactly_once(smtp_server, readers, DAY)
    run = NightlyRun.objects.get(pk=run_id)
    assert (run.due, run.chunks, run.chunks_done, run.status) == (10, 3, 3, "done")
    assert (run.built, run.sent, run.failed, run.ranked) == (10, 10, 0, 0)
    assert run.ingestion_run == ingestion
    assert run.send_finished_at >= run.send_started_at >= run.build_started_at
    assert set(Digest.objects.values_list("nightly_run", flat=True)) == {run_id}


@pytest.mark.django_db
def test_the_same_slot_enqueued_twice_sends_once(smtp_server: SMTPServer) -> None:
    readers = make_due(4, DAY)
    first = run_nightly.delay(SLOT.isoformat()).get()
    second = run_nightly.delay(SLOT.replace(minute=5).isoformat()).get()
    assert first is not None
    assert second is None
    assert NightlyRun.objects.count() == 1
    assert_exactly_once(smtp_server, readers, DAY)


@pytest.mark.django_db
def test_a_run_overlapping_the_next_nights_sends_nothing_twice(smtp_server: SMTPServer) -> None:
    readers = make_due(3, DAY)
    run_nightly.delay(SLOT.isoformat())
    # The next slot, and a late re-fan-out of the first run's work (as the sweep does).
    later = run_nightly.delay(SLOT.replace(hour=8).isoformat()).get()
    NightlyRun.objects.filter(slot=SLOT).update(status="running")
    from emails.services.nightly import build_chunk

    pending, _ = build_chunk([r.pk for r in readers], DAY)
    assert pending == []
    assert NightlyRun.objects.get(pk=later).due == 0
    recover_deliveries.delay()
    assert_exactly_once(smtp_server, readers, DAY)


@pytest.mark.django_db
def test_subscribers_with_nothing_ranked_are_skipped_not_sent(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    settings.DIGEST_QUIET_DAY_NOTE = False  # the quiet-day note's own tests are elsewhere
    reader = SubscriberFactory(delivery_hour=7)  # an empty catalogue: nothing to rank
    run_nightly.delay(SLOT.isoformat())
    assert states(DAY) == {"skipped": 1}
    assert smtp_server.envelopes == []
    assert Digest.objects.get().subscriber == reader


@pytest.mark.django_db
def test_a_ranking_failure_is_recorded_and_the_rest_still_goes_out(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    settings.DIGEST_QUIET_DAY_NOTE = False  # the failed subscriber's row stays skipped
    make_due(2, DAY)
    SubscriberFactory(delivery_hour=7)  # not ranked yet; the catalogue window is empty
    run_id = run_nightly.delay(SLOT.isoformat()).get()
    run = NightlyRun.objects.get(pk=run_id)
    assert states(DAY) == {"sent": 2, "skipped": 1}
    assert run.status == "done"
    assert (run.sent, run.skipped) == (2, 1)
    assert len(smtp_server.envelopes) == 2
    assert run.notes == "" or run.notes.startswith("ranking failed for 1 subscribers")


@pytest.mark.django_db
def test_a_chunk_builds_the_same_rows_as_one_subscriber_at_a_time(
    settings: SettingsWrapper,
) -> None:
    from emails.services.digest import record_day
    from emails.services.nightly import build_chunk, items_for

    settings.DIGEST_QUIET_DAY_NOTE = True
    ranked = make_due(2, DAY)
    quiet = SubscriberFactory(delivery_hour=7)  # interests, nothing ranked: quiet-day note
    nudge = SubscriberFactory(delivery_hour=7, keywords=[])  # no interests: a nudge
    nudged = SubscriberFactory(delivery_hour=7, keywords=[])
    record_day(nudged, date(2026, 11, 23), [])  # nudged three days ago: skipped today
    paused = SubscriberFactory(delivery_hour=7, paused=True)  # no row at all
    readers = [*ranked, quiet, nudge, nudged, paused]
    ids = [r.pk for r in readers]
    pending, counts = build_chunk(ids, DAY)
    built = {
        d.subscriber_id: (d.kind, d.state, d.items, d.message_id)
        for d in Digest.objects.filter(digest_date=DAY)
    }
    assert counts == {"built": 4, "skipped": 1, "suppressed": 0}
    Digest.objects.filter(digest_date=DAY).delete()
    items = items_for(ids, DAY, {r.pk: r.papers_per_digest for r in readers})
    for reader in readers:
        record_day(reader, DAY, items.get(reader.pk, []))
    one_by_one = {
        d.subscriber_id: (d.kind, d.state, d.items) for d in Digest.objects.filter(digest_date=DAY)
    }
    assert {k: v[:3] for k, v in built.items()} == one_by_one
    assert one_by_one[nudged.pk] == ("nudge", "skipped", [])
    assert paused.pk not in one_by_one
    assert all(v[3].startswith("<digest.") for v in built.values())
    assert len(pending) == 4
    assert build_chunk(ids, DAY) == (
        sorted(
            Digest.objects.filter(digest_date=DAY, state="pending").values_list("pk", flat=True)
        ),
        {"built": 4, "skipped": 1, "suppressed": 0},
    )


@pytest.mark.django_db
def test_the_sweep_replans_a_recent_run_and_closes_an_abandoned_one() -> None:
    recent = NightlyRun.objects.create(slot=SLOT)
    abandoned = NightlyRun.objects.create(slot=SLOT - timedelta(days=3))
    with time_machine.travel(SLOT + timedelta(hours=1), tick=False):
        NightlyRun.objects.filter(pk=recent.pk).update(created_at=SLOT)
        report = recover_deliveries.delay(0).get()
    assert report["rechunked"] == 0  # nobody was due: planned again, no chunks
    recent.refresh_from_db()
    abandoned.refresh_from_db()
    assert recent.status == "done"
    assert abandoned.status == "failed"
    assert abandoned.notes.startswith("closed by the recovery sweep: unfinished 2 days after")


@pytest.mark.django_db
def test_an_old_digest_an_operator_retries_is_sent_not_expired(smtp_server: SMTPServer) -> None:
    readers = make_due(1, DAY)
    (digest_id,) = record_pending(readers, DAY)
    smtp_server.reply_for_next = ["554 5.7.1 refused for now"]
    send_digests([digest_id])
    assert states(DAY) == {"failed": 1}
    with time_machine.travel(SLOT + timedelta(days=5)):
        assert ledger.retry_failed([digest_id]) == [digest_id]
        # Its resend task was lost; the sweep finds it, tried before, and sends it late.
        report = recover_deliveries.delay(0).get()
    assert (report["pending"], report["expired"]) == (1, 0)
    assert_exactly_once(smtp_server, readers, DAY)


@pytest.mark.django_db
def test_the_run_encodes_new_papers_once_into_the_cache_every_worker_reads(
    settings: SettingsWrapper, tmp_path
) -> None:
    settings.RANKING_MODEL_DIR = tmp_path
    encoding._cache.clear()
    papers = PaperFactory.create_batch(60)
    encode_new_papers()
    [cache] = (tmp_path / "minilm-cache").glob("*.npz")
    with np.load(cache) as z:
        assert len(z["keys"]) >= len(papers)
    encoding._cache.clear()


@pytest.mark.django_db
def test_a_run_on_an_empty_catalogue_logs_one_line_and_goes_on(
    settings: SettingsWrapper, tmp_path, caplog
) -> None:
    settings.RANKING_MODEL_DIR = tmp_path
    encoding._cache.clear()
    encode_new_papers()
    assert "not encoded before the run: the catalogue is empty" in caplog.text
