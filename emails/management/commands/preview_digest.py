"""Print a subscriber's next digest (subject, headers, text part); nothing is saved or sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emails.services.preview import PREVIEW_LABEL, preview_digest
from subscriptions.addresses import canonical_or_lower
from subscriptions.models import Subscriber


class Command(BaseCommand):
    help = "Preview the next digest of the subscriber with this email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--html", type=Path, help="Also write the HTML part to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        subscriber = Subscriber.objects.filter(email=canonical_or_lower(options["email"])).first()
        if subscriber is None:
            raise CommandError(f"No subscriber with the address {options['email']!r}.")
        message = preview_digest(subscriber)
        html = message.alternatives[0][0]
        self.stdout.write(f"Subject: {message.subject}")
        for name, value in sorted(message.extra_headers.items()):
            self.stdout.write(f"{name}: {value}")
        self.stdout.write("")
        self.stdout.write(str(message.body))
        if options["html"]:
            options["html"].write_text(str(html), encoding="utf-8")
        self.stdout.write(
            f"preview_digest: {len(str(html).encode()) / 1024:.1f} KB HTML. {PREVIEW_LABEL}"
        )
