"""Sending a chunk of digests over real SMTP: once each, one connection, retries, 5xx."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.models import DeliveryEvent, Digest, Suppression
from emails.services.send import send_digests, set_sending_paused
from emails.services.suppression import suppress_address
from emails.services.throttle import TokenBucket
from emails.services.transport import Transport
from emails.tasks import recover_deliveries, send_chunk
from tests.emails.delivery import (
    DAY,
    ON_DAY,
    assert_exactly_once,
    due_subscribers,
    received_by,
    record_pending,
    states,
)
from tests.factories import SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, ON_DAY]


def test_it_sends_each_digest_once_over_one_connection(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(5, DAY)
    report = send_digests(record_pending(readers, DAY))
    assert (report.sent, report.connections) == (5, 1)
    assert len(smtp_server.sessions) == 1
    assert_exactly_once(smtp_server, readers, DAY)
    message = smtp_server.messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("3 new papers")


def test_sending_the_same_chunk_twice_sends_nothing_more(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(3, DAY)
    ids = record_pending(readers, DAY)
    send_chunk.delay(None, ids)
    send_chunk.delay(None, ids)
    assert send_digests(ids).sent == 0
    assert_exactly_once(smtp_server, readers, DAY)


def test_a_451_is_retried_and_delivered_once(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    readers = due_subscribers(4, DAY)
    smtp_server.reply_for_next = ["451 4.3.0 try again later", "452 4.2.2 mailbox full"]
    ids = record_pending(readers, DAY)
    report = send_digests(ids)
    assert (report.sent, len(report.retry)) == (2, 2)
    assert states(DAY) == {"sent": 2, "pending": 2}
    pending = Digest.objects.filter(state="pending")
    assert {d.last_error[:19] for d in pending} == {"end of data: 451 4.", "end of data: 452 4."}
    send_chunk.delay(None, report.retry)  # what the task's retry does after its countdown
    assert_exactly_once(smtp_server, readers, DAY)
    assert set(Digest.objects.values_list("attempts", flat=True)) == {1, 2}


def test_transient_failures_give_up_after_the_retry_limit(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    settings.SEND_MAX_RETRIES = 2
    readers = due_subscribers(1, DAY)
    smtp_server.reply_for_next = ["451 4.3.0 try again later"] * 3
    send_chunk.delay(None, record_pending(readers, DAY))  # eager: retries run at once
    digest = Digest.objects.get()
    assert digest.state == "failed"
    assert digest.attempts == 3
    assert digest.last_error.startswith("gave up after 2 retries: end of data: 451")
    assert smtp_server.envelopes == []


def test_a_rejected_recipient_fails_and_is_suppressed(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(2, DAY)
    smtp_server.reject_rcpt = {readers[0].email}
    report = send_digests(record_pending(readers, DAY))
    assert (report.sent, report.failed) == (1, 1)
    failed = Digest.objects.get(subscriber=readers[0])
    assert failed.state == "failed"
    assert failed.last_error == "RCPT TO: 550 5.1.1 no such user"
    assert Suppression.objects.get().email == readers[0].email
    assert DeliveryEvent.objects.get().kind == "rejected"
    assert received_by(smtp_server) == {readers[1].email: 1}


def test_a_5xx_for_the_content_fails_without_suppressing(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(1, DAY)
    smtp_server.reply_for_next = ["554 5.7.1 message refused"]
    assert send_digests(record_pending(readers, DAY)).failed == 1
    assert Digest.objects.get().last_error == "end of data: 554 5.7.1 message refused"
    assert not Suppression.objects.exists()


def test_an_address_suppressed_after_enqueue_is_not_sent(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(2, DAY)
    ids = record_pending(readers, DAY)
    suppress_address(readers[0].email.upper(), Suppression.Reason.COMPLAINT)
    report = send_digests(ids)
    assert (report.sent, report.suppressed) == (1, 1)
    assert Digest.objects.get(subscriber=readers[0]).state == "suppressed"
    assert received_by(smtp_server) == {readers[1].email: 1}


def test_a_suppressed_address_is_recorded_as_such_at_enqueue(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(2, DAY)
    suppress_address(readers[1].email, Suppression.Reason.HARD_BOUNCE)
    assert record_pending(readers, DAY) == [Digest.objects.get(subscriber=readers[0]).pk]
    assert states(DAY) == {"pending": 1, "suppressed": 1}


def test_someone_who_unsubscribed_after_enqueue_is_skipped(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(1, DAY)
    ids = record_pending(readers, DAY)
    readers[0].status = "unsubscribed"
    readers[0].save()
    assert send_digests(ids).skipped == 1
    assert states(DAY) == {"skipped": 1}
    assert smtp_server.envelopes == []


def test_pausing_leaves_digests_pending_and_resuming_sends_them(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(3, DAY)
    ids = record_pending(readers, DAY)
    set_sending_paused(True, by="ops")
    send_chunk.delay(None, ids)
    assert states(DAY) == {"pending": 3}
    set_sending_paused(False)
    recover_deliveries.delay(0)  # resume = a sweep that re-enqueues every pending row
    assert_exactly_once(smtp_server, readers, DAY)


def test_the_server_being_unreachable_leaves_rows_pending(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    readers = due_subscribers(3, DAY)
    ids = record_pending(readers, DAY)
    smtp_server.stop()
    report = send_digests(ids)
    assert (report.sent, sorted(report.retry)) == (0, sorted(ids))
    assert states(DAY) == {"pending": 3}
    assert "before data" in Digest.objects.get(pk=ids[0]).last_error


def test_the_token_bucket_is_shared_and_refills() -> None:
    first, second = TokenBucket("t", rate=2.0), TokenBucket("t", rate=2.0)
    assert first.take() == 0.0
    assert second.take() == 0.0
    assert first.take() > 0.0  # the burst (one second's worth) is used up across both


def test_the_sweep_leaves_freshly_queued_rows_to_their_task(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(2, DAY)
    record_pending(readers, DAY)
    assert recover_deliveries.delay().get()["pending"] == 0  # queued: left to its task
    assert states(DAY) == {"pending": 2}
    assert recover_deliveries.delay(0).get()["pending"] == 2
    assert_exactly_once(smtp_server, readers, DAY)


def test_one_421_costs_that_message_a_retry_and_the_chunk_goes_on_anew(
    smtp_server: SMTPServer,
) -> None:
    readers = due_subscribers(4, DAY)
    ids = record_pending(readers, DAY)
    refuse = "421 4.7.0 too busy, closing"
    smtp_server.on_rcpt = lambda n: n == 2 and smtp_server.reply_for_next.append(refuse)
    report = send_digests(ids)
    assert (report.sent, report.retry, report.refused) == (3, [ids[1]], {ids[1]: 1})
    assert (report.stopped, report.connections) == (False, 2)
    assert states(DAY) == {"sent": 3, "pending": 1}


def test_two_connections_lost_in_a_row_give_back_the_claims_not_reached(
    smtp_server: SMTPServer,
) -> None:
    readers = due_subscribers(4, DAY)
    ids = record_pending(readers, DAY)
    refuse = "421 4.7.0 too busy, closing"
    smtp_server.on_rcpt = lambda n: n in (2, 3) and smtp_server.reply_for_next.append(refuse)
    report = send_digests(ids)  # one batch: all four claimed in one UPDATE
    assert (report.sent, sorted(report.retry), report.stopped) == (1, sorted(ids[1:]), True)
    assert states(DAY) == {"sent": 1, "pending": 3}
    attempts = dict(Digest.objects.values_list("pk", "attempts"))
    assert [attempts[pk] for pk in ids] == [1, 1, 1, 0]  # the last never tried: as if unclaimed
    smtp_server.on_rcpt = None
    send_chunk.delay(None, report.retry)
    assert_exactly_once(smtp_server, readers, DAY)


def test_the_token_bucket_takes_a_batch_at_once_up_to_its_burst() -> None:
    bucket = TokenBucket("batch", rate=10.0)
    assert bucket.take(10) == 0.0
    assert bucket.take(5) > 0.0  # waited for half a second's refill
    with pytest.raises(ValueError, match="burst"):
        bucket.take(11)


@pytest.mark.parametrize("pipelining", [True, False])
def test_both_dialogues_send_once_and_tell_refusals_apart(
    smtp_server: SMTPServer, pipelining: bool
) -> None:
    # With PIPELINING, MAIL, RCPT and DATA go in one round trip, the hand-off after the 354.
    smtp_server.pipelining = pipelining
    transport = Transport()
    assert transport._connection().has_extn("pipelining") is pipelining
    transport.close()
    readers = due_subscribers(4, DAY)
    smtp_server.reject_rcpt = {readers[1].email}
    smtp_server.reply_for_next = ["451 4.3.0 try again later"]
    report = send_digests(record_pending(readers, DAY))
    assert (report.sent, report.failed, len(report.retry), report.connections) == (2, 1, 1, 1)
    assert Digest.objects.get(subscriber=readers[1]).last_error.startswith("RCPT TO: 550")
    assert Suppression.objects.filter(email=readers[1].email).exists()
    send_chunk.delay(None, report.retry)
    assert received_by(smtp_server) == {r.email: 1 for r in (readers[0], *readers[2:])}
    assert states(DAY) == {"sent": 3, "failed": 1}


def test_a_4xx_for_one_message_is_retried_soon_alone_not_after_the_chunks_backoff(
    smtp_server: SMTPServer, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SEND_RETRY_SOON, settings.SEND_RETRY_BACKOFF = 2.0, 30.0
    readers = due_subscribers(3, DAY)
    ids = record_pending(readers, DAY)
    smtp_server.on_rcpt = lambda n: n == 2 and smtp_server.reply_for_next.append("451 4.3.0 later")
    queued: list[tuple[tuple[object, ...], float]] = []
    monkeypatch.setattr(
        send_chunk, "apply_async", lambda args, countdown: queued.append((args, countdown))
    )
    send_chunk(None, ids)
    assert queued == [((None, [ids[1]], 0), 2.0)]
    assert states(DAY) == {"sent": 2, "pending": 1}
    assert Digest.objects.get(pk=ids[1]).queued_at is not None  # the sweep leaves it be


def test_a_domain_refusing_five_in_a_row_is_paused_for_every_worker_and_others_go_on(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    settings.SEND_RETRY_BACKOFF = 30.0
    busy = [SubscriberFactory(email=f"r{n}@busy.example.org") for n in range(6)]
    calm = [SubscriberFactory(email=f"r{n}@calm.example.org") for n in range(2)]
    ids = record_pending(busy, DAY) + record_pending(calm, DAY)  # one batch, in this order
    smtp_server.reply_for_next = ["451 4.7.1 slow down"] * 5
    report = send_digests(ids)
    assert (report.sent, sorted(report.refused)) == (2, ids[:5])
    assert list(report.deferred) == [ids[5]]
    assert 25 < report.deferred[ids[5]] <= 30
    assert Digest.objects.get(pk=ids[5]).attempts == 0  # deferred unclaimed: no try spent
    assert received_by(smtp_server) == {r.email: 1 for r in calm}
    again = send_digests(ids[:6])  # another worker, meanwhile: leaves busy.example.org alone
    assert (again.sent, sorted(again.deferred)) == (0, ids[:6])
    assert states(DAY) == {"sent": 2, "pending": 6}


def test_twenty_percent_of_451s_cost_one_retry_each(
    smtp_server: SMTPServer, settings: SettingsWrapper
) -> None:
    readers = due_subscribers(30, DAY)
    smtp_server.fail_every, smtp_server.fail_replies = 5, ["451 4.3.0 try again later"]
    send_chunk.delay(None, record_pending(readers, DAY))  # eager: each retry at once
    assert_exactly_once(smtp_server, readers, DAY)
    refusals = smtp_server.received // 5
    assert sum(Digest.objects.values_list("attempts", flat=True)) == len(readers) + refusals
