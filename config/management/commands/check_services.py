"""Check that the database and Redis answer; used by the container start scripts."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.services import service_errors


class Command(BaseCommand):
    help = "Exit non-zero with one line per unreachable service (DATABASE_URL, REDIS_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait", type=float, default=0, help="keep retrying for this many seconds"
        )

    def handle(self, *args: Any, wait: float, **options: Any) -> None:
        deadline = time.monotonic() + wait
        while errors := service_errors():
            if time.monotonic() >= deadline:
                raise CommandError("; ".join(errors))
            time.sleep(1)
        self.stdout.write("check_services: database and Redis answer")
