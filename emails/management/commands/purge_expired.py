"""Delete what the retention settings say has expired (also nightly on Celery beat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from emails.services.retention import purge_expired, summary


class Command(BaseCommand):
    help = (
        "Delete link and delivery events, digests, recommendations, run records, audit events "
        "and unconfirmed sign-ups older than their RETENTION_*_DAYS (safe to re-run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        report = purge_expired(dry_run=dry_run)
        self.stdout.write(summary(report, dry_run=dry_run))
