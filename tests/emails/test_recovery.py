"""The recovery sweep: lost slots opened late, lost chunks found, runs counted from the ledger
and closed when finished (emails.tasks.recover_deliveries, emails/services/recovery.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from emails import tasks
from emails.models import Digest, NightlyRun
from emails.services import recovery
from emails.tasks import recover_deliveries, run_nightly
from tests.emails.delivery import DAY, SLOT, assert_exactly_once, states
from tests.emails.delivery import due_subscribers as make_due
from tests.factories import SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = pytest.mark.django_db
FINAL = ("sent", "failed", "suppressed", "skipped", "uncertain")


@pytest.fixture
def redis_up_since() -> Iterator[Callable[[datetime | None], None]]:
    """Say when the Redis holding the queue started (None: long ago)."""
    started: list[datetime | None] = [None]
    real = recovery.queue_started_at
    recovery.queue_started_at = lambda: started[0]
    yield lambda at: started.__setitem__(0, at)
    recovery.queue_started_at = real


def lose_first(task: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The first message of `task` is lost (a killed worker, a Redis restart); the rest go."""
    lost: list[tuple[Any, ...]] = []
    real = task.delay

    def delay(*args: Any) -> Any:
        if not lost:
            lost.append(args)
            return None
        return real(*args)

    monkeypatch.setattr(task, "delay", delay)
    return lost


def assert_counted(run: NightlyRun) -> None:
    """The run's counters are the ledger's, they add up to who was due, and it is closed."""
    run.refresh_from_db()
    ledger = states(DAY)
    assert {name: getattr(run, name) for name in FINAL} == {n: ledger[n] for n in FINAL}
    assert sum(getattr(run, name) for name in FINAL) == run.due == run.built
    assert run.chunks_done == run.chunks
    assert run.status == "done"


@pytest.mark.clock(SLOT + timedelta(minutes=20))
def test_a_slot_whose_run_was_never_opened_is_opened_and_sent_by_the_sweep(
    smtp_server: SMTPServer, redis_up_since: Callable[[datetime | None], None]
) -> None:
    readers = make_due(3, DAY)  # beat's 07:00 run_nightly was lost: nothing was enqueued
    report = recover_deliveries.delay().get()
    assert report["opened"] == 1
    assert_exactly_once(smtp_server, readers, DAY)
    assert_counted(NightlyRun.objects.get(slot=SLOT))
    assert recover_deliveries.delay().get()["opened"] == 0


@pytest.mark.clock(SLOT + timedelta(minutes=2))
def test_a_slot_lost_with_a_redis_restart_is_opened_at_once(
    smtp_server: SMTPServer, redis_up_since: Callable[[datetime | None], None]
) -> None:
    readers = make_due(2, DAY)
    assert recover_deliveries.delay().get()["opened"] == 0  # its run_nightly may be queued
    redis_up_since(timezone.now() - timedelta(seconds=30))  # no: Redis restarted since 07:00
    assert recover_deliveries.delay().get()["opened"] == 1
    assert_exactly_once(smtp_server, readers, DAY)


@pytest.mark.clock(SLOT + timedelta(hours=30))
def test_the_sweep_opens_the_last_day_only_and_only_for_those_subscribed_then(
    smtp_server: SMTPServer, redis_up_since: Callable[[datetime | None], None]
) -> None:
    # Beat was down for a day and a half: 07:00 yesterday is past the look-back (24 hours),
    # 07:00 today within it (this morning's local date for UTC readers).
    with time_machine.travel(SLOT - timedelta(days=1)):
        early = make_due(1, DAY)[0]
        night = SubscriberFactory(delivery_hour=23)  # due at 23:00 yesterday
    late = SubscriberFactory(delivery_hour=7)  # confirmed after 07:00 today: not due then
    report = recover_deliveries.delay().get()
    assert report["opened"] == 2
    assert set(NightlyRun.objects.values_list("slot", flat=True)) == {
        SLOT + timedelta(days=1),
        SLOT + timedelta(hours=16),
    }
    assert set(Digest.objects.values_list("subscriber", "digest_date")) == {
        (early.pk, DAY + timedelta(days=1)),
        (night.pk, DAY),
    }
    assert not Digest.objects.filter(subscriber=late).exists()


@pytest.mark.clock(SLOT + timedelta(minutes=5))
def test_a_send_lost_with_its_worker_is_sent_counted_and_its_run_closed(
    smtp_server: SMTPServer,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    redis_up_since: Callable[[datetime | None], None],
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 2
    readers = make_due(4, DAY)
    lost = lose_first(tasks.send_chunk, monkeypatch)
    run = NightlyRun.objects.get(pk=run_nightly.delay(SLOT.isoformat()).get())
    assert lost
    assert states(DAY) == {"sent": 2, "pending": 2}
    assert recover_deliveries.delay().get()["pending"] == 0  # its task may still come
    run.refresh_from_db()
    assert (run.status, run.sent, run.chunks_done, run.chunks) == ("running", 2, 2, 2)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert recover_deliveries.delay().get()["pending"] == 2
    assert_exactly_once(smtp_server, readers, DAY)
    assert_counted(run)


@pytest.mark.clock(SLOT + timedelta(minutes=5))
def test_a_chunk_lost_before_its_digests_were_recorded_is_planned_again(
    smtp_server: SMTPServer,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    redis_up_since: Callable[[datetime | None], None],
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 2
    readers = make_due(5, DAY)
    lost = lose_first(tasks.rank_chunk, monkeypatch)
    run = NightlyRun.objects.get(pk=run_nightly.delay(SLOT.isoformat()).get())
    assert lost
    assert states(DAY) == {"sent": 3}
    assert recover_deliveries.delay().get()["rechunked"] == 0  # still moving, maybe
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert recover_deliveries.delay().get()["rechunked"] == 1
    assert_exactly_once(smtp_server, readers, DAY)
    assert_counted(run)
    assert (run.due, run.chunks) == (5, 3)
    assert run.notes.startswith("planned again by the recovery sweep: 2 due")


@pytest.mark.clock(SLOT + timedelta(minutes=5))
def test_chunks_lost_with_a_redis_restart_are_planned_again_at_once(
    smtp_server: SMTPServer,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    redis_up_since: Callable[[datetime | None], None],
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 2
    readers = make_due(4, DAY)
    lose_first(tasks.rank_chunk, monkeypatch)
    run = NightlyRun.objects.get(pk=run_nightly.delay(SLOT.isoformat()).get())
    redis_up_since(timezone.now() + timedelta(seconds=1))
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        assert recover_deliveries.delay().get()["rechunked"] == 1
    assert_exactly_once(smtp_server, readers, DAY)
    assert_counted(run)


@pytest.mark.clock(SLOT + timedelta(minutes=5))
def test_a_chunk_sent_twice_counts_once(smtp_server: SMTPServer, settings: SettingsWrapper) -> None:
    settings.DELIVERY_CHUNK_SIZE = 2
    make_due(4, DAY)
    run = NightlyRun.objects.get(pk=run_nightly.delay(SLOT.isoformat()).get())
    ids = list(Digest.objects.values_list("pk", flat=True))
    tasks.send_chunk.delay(run.pk, ids)  # a redelivered chunk: sends nothing
    tasks.build_chunk.delay(
        run.pk, list(Digest.objects.values_list("subscriber", flat=True)), DAY.isoformat()
    )
    assert_counted(run)
    assert run.sent == 4
