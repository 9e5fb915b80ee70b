"""The delivery ledger: claims by conditional UPDATE and the rule for crashed sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from emails.models import Digest
from emails.services import ledger
from tests.emails.delivery import DAY, ON_DAY, due_subscribers, record_pending

pytestmark = [pytest.mark.django_db, ON_DAY]


@pytest.fixture
def digest_id() -> int:
    return record_pending(due_subscribers(1, DAY), DAY)[0]


def test_it_claims_a_pending_row_once(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id) is True
    assert ledger.claim_digest(digest_id) is False
    digest = Digest.objects.get(pk=digest_id)
    assert digest.state == "sending"
    assert digest.attempts == 1
    assert digest.claimed_at is not None


def test_it_never_claims_a_sent_row(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    assert ledger.mark_handed_off(digest_id)
    assert ledger.mark_sent(digest_id)
    assert ledger.claim_digest(digest_id) is False
    assert ledger.release_digest(digest_id, "late") is False
    assert Digest.objects.get(pk=digest_id).state == "sent"


def test_a_released_row_can_be_claimed_again(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    assert ledger.release_digest(digest_id, "451 try later")
    digest = Digest.objects.get(pk=digest_id)
    assert (digest.state, digest.last_error, digest.handed_off_at) == (
        "pending",
        "451 try later",
        None,
    )
    assert ledger.claim_digest(digest_id)
    assert Digest.objects.get(pk=digest_id).attempts == 2


def test_a_stale_claim_never_handed_off_goes_back_to_pending(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        requeued, uncertain = ledger.recover_stale_claims()
    assert (requeued, uncertain) == ([digest_id], 0)
    digest = Digest.objects.get(pk=digest_id)
    assert digest.state == "pending"
    assert "will re-send" in digest.last_error


def test_a_stale_claim_handed_off_becomes_uncertain_and_is_not_resent(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    assert ledger.mark_handed_off(digest_id)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert ledger.recover_stale_claims() == ([], 1)
    assert Digest.objects.get(pk=digest_id).state == "uncertain"
    assert ledger.claim_digest(digest_id) is False


def test_a_fresh_claim_is_left_alone(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    assert ledger.recover_stale_claims() == ([], 0)
    assert Digest.objects.get(pk=digest_id).state == "sending"


def test_retry_failed_puts_failed_rows_back_and_uncertain_only_when_asked(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    assert ledger.mark_uncertain(digest_id, "no reply")
    assert ledger.retry_failed([digest_id]) == []
    assert ledger.retry_failed([digest_id], include_uncertain=True) == [digest_id]
    assert Digest.objects.get(pk=digest_id).state == "pending"


def test_it_claims_a_batch_in_one_update_and_returns_each_claim() -> None:
    ids = record_pending(due_subscribers(3, DAY), DAY)
    assert ledger.claim_digest(ids[0])
    claims = ledger.claim_digests(ids)
    assert claims == {ids[1]: 1, ids[2]: 1}  # the first was someone else's already
    assert ledger.claim_digests(ids) == {}


def test_a_claim_given_back_unused_is_as_if_never_claimed(digest_id: int) -> None:
    claims = ledger.claim_digests([digest_id])
    assert ledger.unclaim(claims) == 1
    digest = Digest.objects.get(pk=digest_id)
    assert (digest.state, digest.attempts, digest.claimed_at) == ("pending", 0, None)
    claims = ledger.claim_digests([digest_id])
    assert ledger.mark_handed_off(digest_id, claims[digest_id])
    assert ledger.unclaim(claims) == 0  # handed off: never given back


@pytest.mark.django_db(transaction=True)
def test_a_claim_taken_back_by_the_sweep_can_no_longer_hand_off() -> None:
    # Outside a transaction, so on PostgreSQL the hand-off takes its one-round-trip path.
    (digest_id,) = record_pending(due_subscribers(1, DAY), DAY)
    stale = ledger.claim_digests([digest_id])[digest_id]
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert ledger.recover_stale_claims() == ([digest_id], 0)
    fresh = ledger.claim_digests([digest_id])[digest_id]
    assert ledger.mark_handed_off(digest_id, stale) is False
    assert ledger.mark_handed_off(digest_id, fresh) is True
    assert ledger.mark_handed_off(digest_id, fresh) is False  # once
    assert ledger.mark_sent(digest_id)
    digest = Digest.objects.get(pk=digest_id)
    assert (digest.state, digest.attempts) == ("sent", 2)
    assert digest.handed_off_at is not None


def test_a_dead_workers_claim_is_back_in_play_once_its_lease_runs_out(digest_id: int) -> None:
    assert ledger.claim_digest(digest_id)
    now = timezone.now()
    with time_machine.travel(now + timedelta(seconds=50)):
        assert ledger.recover_stale_claims() == ([], 0)  # within SEND_LEASE_SECONDS (60)
    with time_machine.travel(now + timedelta(seconds=61)):
        assert ledger.recover_stale_claims() == ([digest_id], 0)
        assert ledger.orphaned_pending() == [digest_id]  # for the same sweep to enqueue


def test_a_lease_renewed_while_sending_keeps_a_slow_send_its_rows(digest_id: int) -> None:
    lease = ledger.Lease([digest_id])
    lease.hold(ledger.claim_digests([digest_id]))
    now = timezone.now()
    with time_machine.travel(now + timedelta(seconds=50)):
        lease.keep()  # a third of the lease has passed since the claim: renews
    with time_machine.travel(now + timedelta(seconds=100)):
        assert ledger.recover_stale_claims() == ([], 0)
    with time_machine.travel(now + timedelta(seconds=111)):
        assert ledger.recover_stale_claims() == ([digest_id], 0)


def test_a_pending_row_is_left_to_its_queued_or_running_task_and_taken_back_after(
    digest_id: int,
) -> None:
    now = timezone.now()
    assert ledger.orphaned_pending() == []  # queued when it was built
    with time_machine.travel(now + timedelta(minutes=11)):
        assert ledger.orphaned_pending() == [digest_id]  # its queue message is lost
        ledger.Lease([digest_id])  # a task has it after all: leased, not an orphan
        assert ledger.orphaned_pending() == []
    with time_machine.travel(now + timedelta(minutes=13)):
        assert ledger.orphaned_pending() == [digest_id]  # that task died too


def test_a_dead_tasks_rows_not_yet_claimed_are_free_once_its_lease_runs_out() -> None:
    ids = record_pending(due_subscribers(3, DAY), DAY)  # queued just now
    lease = ledger.Lease(ids)  # the task starts, claims a first batch and dies
    lease.hold(ledger.claim_digests(ids[:1]))
    now = timezone.now()
    with time_machine.travel(now + timedelta(seconds=61)):
        assert ledger.recover_stale_claims() == (ids[:1], 0)
        assert ledger.orphaned_pending() == ids


def test_rows_of_a_send_task_a_worker_took_are_free_a_lease_after_it_was_due() -> None:
    from types import SimpleNamespace

    from emails.tasks import hold_received_sends

    ids = record_pending(due_subscribers(2, DAY), DAY)  # queued just now
    now = timezone.now()
    due = now + timedelta(seconds=30)  # a retry's countdown
    message = SimpleNamespace(name="emails.tasks.send_chunk", args=[None, ids, 0], eta=due)
    hold_received_sends(request=message)  # the worker took it, then died
    with time_machine.travel(now + timedelta(seconds=80)):
        assert ledger.orphaned_pending() == []  # due at 30 s, held for a lease after that
    with time_machine.travel(now + timedelta(seconds=91)):
        assert ledger.orphaned_pending() == ids  # not SEND_QUEUE_TIMEOUT after it was queued


def test_a_row_queued_before_redis_restarted_is_an_orphan_at_once(digest_id: int) -> None:
    now = timezone.now()
    assert ledger.orphaned_pending(queue_started=now - timedelta(seconds=5)) == []
    assert ledger.orphaned_pending(queue_started=now + timedelta(seconds=5)) == [digest_id]


def test_failed_and_uncertain_digests_are_logged_one_line_each_without_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = record_pending(due_subscribers(2, DAY), DAY)
    reader = Digest.objects.get(pk=first).subscriber
    assert ledger.claim_digests([first, second])
    with caplog.at_level("WARNING", logger="emails.services.ledger"):
        ledger.fail_digest(first, f"end of data: 554 5.7.1 <{reader.email}>: refused")
        assert ledger.mark_handed_off(second)
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            ledger.recover_stale_claims()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"digest {first} of subscriber {reader.pk} is failed: "
        "end of data: 554 5.7.1 <<address>>: refused",
        f"digest {second} of subscriber {Digest.objects.get(pk=second).subscriber_id} is "
        "uncertain: worker lost after handing the message to the server; not re-sent",
    ]
    assert "@" not in caplog.text
