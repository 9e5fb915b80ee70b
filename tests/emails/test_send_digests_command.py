"""`manage.py send_digests`: open a slot's run by hand, safely re-runnable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from emails.models import NightlyRun
from tests.emails.delivery import DAY, ON_DAY, assert_exactly_once, due_subscribers
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, ON_DAY]


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue()


def test_it_runs_a_slot_once_however_often_it_is_called(smtp_server: SMTPServer) -> None:
    readers = due_subscribers(3, DAY)
    first = run("--slot", "2026-11-26T07:30")  # a naive time is UTC; any minute of the hour
    again = run("--slot", "2026-11-26T07:00+00:00", "--recover")
    assert (
        first == "send_digests: run 2026-11-26 07:00 UTC opened: 3 due in 1 chunks, 3 sent so far\n"
    )
    assert "already opened: 3 due in 1 chunks, 3 sent so far" in again
    assert NightlyRun.objects.count() == 1
    assert_exactly_once(smtp_server, readers, DAY)


@pytest.mark.parametrize("slot", ["yesterday", "2026-13-01T07:00", ""])
def test_it_refuses_a_bad_slot_clearly(slot: str) -> None:
    with pytest.raises(CommandError, match="--slot: not an ISO date-time"):
        run("--slot", slot or " ")
    assert not NightlyRun.objects.exists()
