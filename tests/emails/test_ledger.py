"""The delivery ledger: claims by conditional UPDATE and the rule for crashed sends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from emails.models import Digest
from emails.services import ledger
from tests.emails.delivery import due_subscribers, record_pending

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 26)


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
