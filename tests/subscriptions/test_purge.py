from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from subscriptions import tasks
from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.signup import purge_unconfirmed
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signups() -> dict[str, Subscriber]:
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        old_pending = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
        old_active = SubscriberFactory()
        old_unsubscribed = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    with time_machine.travel("2026-01-08 00:00Z", tick=False):
        fresh_pending = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    return {
        "old_pending": old_pending,
        "old_active": old_active,
        "old_unsubscribed": old_unsubscribed,
        "fresh_pending": fresh_pending,
    }


def test_it_deletes_only_expired_unconfirmed_signups(signups) -> None:
    with time_machine.travel("2026-01-10 00:00Z", tick=False):
        assert purge_unconfirmed() == 1
        assert purge_unconfirmed() == 0  # safe to re-run
    left = set(Subscriber.objects.values_list("pk", flat=True))
    assert signups["old_pending"].pk not in left
    assert left == {signups[k].pk for k in ("old_active", "old_unsubscribed", "fresh_pending")}
    event = AuditEvent.objects.get(action="purged_unconfirmed")
    assert (event.actor, event.details) == ("system", {"count": 1})


def test_the_command_prints_a_summary(signups) -> None:
    out = StringIO()
    with time_machine.travel("2026-01-10 00:00Z", tick=False):
        call_command("purge_unconfirmed", stdout=out)
    assert out.getvalue().strip() == "purge_unconfirmed: 1 unconfirmed sign-up(s) deleted"


def test_the_task_runs_the_purge(signups) -> None:
    with time_machine.travel("2026-01-10 00:00Z", tick=False):
        assert tasks.purge_unconfirmed_subscribers.delay().get() == 1


def test_beat_runs_the_purge_daily_as_part_of_retention() -> None:
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "emails.tasks.purge_expired_data" in entries  # tests/emails/test_retention.py
