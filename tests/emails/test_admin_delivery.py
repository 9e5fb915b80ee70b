"""The operator's view: runs with stage counts, failures with reasons, chart, pause, retry."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from emails.admin_delivery import duration_label
from emails.models import DeliveryEvent, Digest
from emails.services import ledger
from emails.services.send import sending_paused
from emails.tasks import run_nightly
from tests.emails.delivery import (
    DAY,
    ON_DAY,
    SLOT,
    due_subscribers,
    received_by,
    record_pending,
    states,
)
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, ON_DAY]


def test_the_run_list_shows_stage_counts_durations_and_the_chart(
    admin_client: Client, smtp_server: SMTPServer
) -> None:
    due_subscribers(3, DAY)
    run_nightly.delay(SLOT.isoformat())
    Digest.objects.update(sent_at=timezone.now())
    DeliveryEvent.objects.create(email="x@example.org", kind="hard_bounce", event_id="e1")
    page = admin_client.get("/admin/emails/nightlyrun/").content.decode()
    assert "2026-11-26" in page or "Nov. 26, 2026" in page
    assert 'class="field-due">3<' in page
    assert 'class="field-sent">3<' in page
    assert re.search(r'class="field-stage_times">rank [0-9.]+s<br>build [^<]+<br>send ', page)
    assert 'class="field-other_counts">0 suppressed<br>0 skipped<br>0 retried<' in page
    chart = page[page.index('id="activity-chart"') :]
    assert 'title="3 sent"' in chart
    assert 'title="1 bounces"' in chart
    assert "Pause all sending" in page
    schedule = page[page.index('id="beat-schedule"') :]
    assert "emails.tasks.run_nightly" in schedule
    assert "emails.tasks.recover_deliveries" in schedule


def test_a_run_page_lists_failures_with_reasons(
    admin_client: Client, smtp_server: SMTPServer
) -> None:
    readers = due_subscribers(2, DAY)
    smtp_server.reject_rcpt = {readers[0].email}
    run_id = run_nightly.delay(SLOT.isoformat()).get()
    page = admin_client.get(f"/admin/emails/nightlyrun/{run_id}/change/").content.decode()
    problems = page[page.index('id="run-problems"') :]
    assert readers[0].email in problems
    assert "RCPT TO: 550 5.1.1 no such user" in problems
    assert readers[1].email not in problems


def test_pause_and_resume_all_sending(
    admin_client: Client, smtp_server: SMTPServer, django_capture_on_commit_callbacks
) -> None:
    readers = due_subscribers(2, DAY)
    response = admin_client.post("/admin/emails/nightlyrun/sending/", {"paused": "1"})
    assert response.status_code == 302
    assert sending_paused()
    run_nightly.delay(SLOT.isoformat())
    assert states(DAY) == {"pending": 2}
    assert (
        "All sending is paused." in admin_client.get("/admin/emails/nightlyrun/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/emails/nightlyrun/sending/", {"paused": "0"})
    assert not sending_paused()
    assert states(DAY) == {"sent": 2}
    assert received_by(smtp_server) == {r.email: 1 for r in readers}


def test_pausing_needs_a_post_by_staff(client: Client) -> None:
    assert client.post("/admin/emails/nightlyrun/sending/", {"paused": "1"}).status_code == 302
    assert not sending_paused()


def test_retry_failed_deliveries_action(
    admin_client: Client, smtp_server: SMTPServer, django_capture_on_commit_callbacks
) -> None:
    readers = due_subscribers(2, DAY)
    smtp_server.reply_for_next = ["554 5.7.1 refused for now"]
    run_nightly.delay(SLOT.isoformat())
    assert states(DAY) == {"sent": 1, "failed": 1}
    ids = list(Digest.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/emails/digest/", {"action": "retry_failed", "_selected_action": ids}
        )
    assert states(DAY) == {"sent": 2}
    assert received_by(smtp_server) == {r.email: 1 for r in readers}


def test_uncertain_rows_are_resent_only_by_their_own_action(
    admin_client: Client, smtp_server: SMTPServer, django_capture_on_commit_callbacks
) -> None:
    (digest_id,) = record_pending(due_subscribers(1, DAY), DAY)
    assert ledger.claim_digest(digest_id)
    assert ledger.mark_uncertain(digest_id, "no reply to the data")
    changelist = "/admin/emails/digest/"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "retry_failed", "_selected_action": [digest_id]})
    assert states(DAY) == {"uncertain": 1}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            changelist, {"action": "resend_uncertain", "_selected_action": [digest_id]}
        )
    assert states(DAY) == {"sent": 1}
    assert len(smtp_server.envelopes) == 1


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(0.04, "0.0s"), (45.25, "45.2s"), (59.96, "1m 00s"), (61, "1m 01s"), (1234.5, "20m 34s"),
     (3599.4, "59m 59s"), (3600, "1h 00m"), (12345.6, "3h 25m")],
)  # fmt: skip
def test_stage_times_are_short_enough_for_a_table_cell(seconds: float, label: str) -> None:
    assert duration_label(seconds) == label


def test_a_run_page_retries_its_failed_and_resends_its_uncertain_digests(
    admin_client: Client, smtp_server: SMTPServer, django_capture_on_commit_callbacks
) -> None:
    readers = due_subscribers(3, DAY)
    smtp_server.reply_for_next = ["554 5.7.1 refused for now"]
    run_id = run_nightly.delay(SLOT.isoformat()).get()
    sent = Digest.objects.filter(state="sent").order_by("pk").first()
    assert sent is not None
    Digest.objects.filter(pk=sent.pk).update(state="uncertain", last_error="no reply")
    page = admin_client.get(f"/admin/emails/nightlyrun/{run_id}/change/").content.decode()
    buttons = page[page.index('id="run-resend"') :]
    assert "Retry the 1 failed" in buttons
    assert "Re-send the 1 uncertain (may send a duplicate)" in buttons
    resend = f"/admin/emails/nightlyrun/{run_id}/resend/"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(resend, {"state": "failed"}).status_code == 302
    assert states(DAY) == {"sent": 2, "uncertain": 1}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(resend, {"state": "uncertain"})
    assert states(DAY) == {"sent": 3}
    counts = received_by(smtp_server)
    assert counts[sent.subscriber.email] == 2  # the operator accepted a possible duplicate
    assert sum(counts.values()) == len(readers) + 1
    page = admin_client.get(f"/admin/emails/nightlyrun/{run_id}/change/").content.decode()
    assert 'id="run-resend"' not in page
    assert 'class="field-sent">3<' in admin_client.get("/admin/emails/nightlyrun/").content.decode()
