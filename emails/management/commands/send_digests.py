"""Enqueue the delivery run of an hourly slot (what beat does every hour); safe to re-run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emails.models import NightlyRun
from emails.services.nightly import slot_of
from emails.tasks import recover_deliveries, run_nightly


def parse_slot(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--slot: not an ISO date-time: {value!r}") from exc
    return slot_of(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


class Command(BaseCommand):
    help = "Open the delivery run of an hourly slot (default: now) and enqueue its chunks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slot", help="ISO date-time of the UTC hour, e.g. 2026-11-26T07:00")
        parser.add_argument(
            "--recover", action="store_true", help="Also run the recovery sweep at once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slot = parse_slot(options["slot"]) if options["slot"] else slot_of(datetime.now(UTC))
        run_id = run_nightly(slot.isoformat())  # here, not on a worker: the run exists below
        if options["recover"]:
            recover_deliveries.delay(0)
        run = NightlyRun.objects.get(slot=slot)
        opened = "opened" if run_id else "already opened"
        self.stdout.write(
            f"send_digests: run {slot:%Y-%m-%d %H:00} UTC {opened}: {run.due} due in "
            f"{run.chunks} chunks, {run.sent} sent so far"
        )
