"""Clear failed admin login counts, so a refused address or username may log in again at once."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import login_limits


class Command(BaseCommand):
    help = (
        "Clear failed admin login counts: for one username (at every address), one client "
        "address (every username, and the address's own count), both, or everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="the username typed at the login page")
        parser.add_argument("--address", help="the client address the 429 was logged for")

    def handle(self, *args: Any, username: str | None, address: str | None, **opts: Any) -> None:
        if address is not None:
            try:
                ipaddress.ip_address(address.strip())
            except ValueError as exc:
                raise CommandError(f"--address: not an IP address: {address!r}") from exc
        cleared = login_limits.clear(address=address, username=username)
        scope = " and ".join(
            part
            for part in (
                f"username {username!r}" if username else "",
                f"address {address.strip()}" if address else "",
            )
            if part
        )
        self.stdout.write(f"unlock_admin: cleared {cleared} count(s) for {scope or 'everyone'}")
