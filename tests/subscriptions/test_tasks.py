from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import tasks
from subscriptions.models import Subscriber
from subscriptions.services import signup
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending() -> Subscriber:
    return SubscriberFactory(email="p@example.org", status=Subscriber.Status.PENDING)


def test_run_it_twice_one_confirmation_email(smtp_server, pending) -> None:
    requested = timezone.now().isoformat()
    assert tasks.send_confirmation_email.delay(pending.pk, requested).get() is True
    assert tasks.send_confirmation_email.delay(pending.pk, requested).get() is False
    assert len(smtp_server.messages) == 1
    pending.refresh_from_db()
    assert pending.confirmation_send_count == 1


def test_a_later_request_sends_again(smtp_server, pending) -> None:
    tasks.send_confirmation_email.delay(pending.pk, timezone.now().isoformat())
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert tasks.send_confirmation_email.delay(pending.pk, later).get() is True
    assert len(smtp_server.messages) == 2


def test_no_confirmation_for_an_active_subscriber(smtp_server) -> None:
    active = SubscriberFactory()
    assert tasks.send_confirmation_email.delay(active.pk, timezone.now().isoformat()).get() is False
    assert smtp_server.messages == []


def test_run_it_twice_one_manage_link_email(smtp_server) -> None:
    active = SubscriberFactory()
    requested = timezone.now().isoformat()
    tasks.send_manage_link_email.delay(active.pk, requested)
    tasks.send_manage_link_email.delay(active.pk, requested)
    assert len(smtp_server.messages) == 1


def test_a_failed_send_releases_the_claim_so_a_retry_sends(smtp_server, pending) -> None:
    requested = timezone.now()
    smtp_server.reply_for_next.append("451 try again later")
    with pytest.raises(smtplib.SMTPDataError):
        signup.send_confirmation(pending.pk, requested)
    pending.refresh_from_db()
    assert pending.confirmation_sent_at is None
    assert signup.send_confirmation(pending.pk, requested) is True
    assert len(smtp_server.messages) == 1


def test_signup_enqueues_only_after_commit(client, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/", {"email": "later@example.org"})
    assert smtp_server.messages == []  # the request itself never talks to SMTP
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(smtp_server.messages) == 1
