"""Rank tonight's papers for some or all subscribers (what the nightly run does per chunk)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ranking.services.recommend import rank_subscribers
from subscriptions.models import Subscriber


class Command(BaseCommand):
    help = "Write Recommendation rows for a date (default today, UTC). Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None)
        parser.add_argument("--email", action="append", default=[], help="only these subscribers")

    def handle(self, *args: Any, date: date | None, email: list[str], **options: Any) -> None:
        run_date = date or timezone.now().date()
        subscribers = Subscriber.objects.all()
        subscribers = (
            subscribers.filter(email__in=[e.lower() for e in email])
            if email
            else (subscribers.filter(status=Subscriber.Status.ACTIVE, paused=False))
        )
        ids = list(subscribers.values_list("pk", flat=True))
        counts = rank_subscribers(ids, run_date)
        self.stdout.write(f"rank_papers {run_date}: {counts}")
