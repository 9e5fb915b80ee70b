"""Delete sign-ups whose confirmation link has expired unused."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from subscriptions.services.signup import purge_unconfirmed


class Command(BaseCommand):
    help = "Delete pending subscribers whose confirmation window has passed (safe to re-run)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_unconfirmed()
        self.stdout.write(f"purge_unconfirmed: {count} unconfirmed sign-up(s) deleted")
