"""Container HEALTHCHECK of a Celery worker: does it answer a ping over the broker in time?"""

from __future__ import annotations

import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.celery_app import app


class Command(BaseCommand):
    help = (
        "Ping a Celery worker through the broker (Redis); exit non-zero when none answers in "
        "time. By default the worker on this host (celery@<hostname>), as in its container."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait")
        parser.add_argument(
            "--destination",
            default=f"celery@{socket.gethostname()}",
            help="worker node name to ping (default: celery@<this host's name>)",
        )
        parser.add_argument("--any", action="store_true", help="accept an answer from any worker")

    def handle(self, *args: Any, timeout: float, destination: str, **options: Any) -> None:
        targets = None if options["any"] else [destination]
        try:
            with app.connection_for_write() as connection:
                # One try: a health check must answer within its own timeout, not retry.
                connection.ensure_connection(max_retries=1, timeout=max(1, round(timeout)))
                replies = app.control.ping(
                    destination=targets, timeout=timeout, connection=connection
                )
        except Exception as exc:  # kombu raises many types for an unreachable broker
            raise CommandError(f"check_worker: cannot reach the broker: {exc}") from exc
        names = sorted(name for reply in replies or [] for name in reply)
        if not names:
            who = "any worker" if targets is None else destination
            raise CommandError(f"check_worker: no answer from {who} within {timeout:g} s")
        self.stdout.write(f"check_worker: {', '.join(names)} answered")
