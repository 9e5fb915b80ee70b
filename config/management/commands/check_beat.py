"""Container HEALTHCHECK of Celery beat: is its heartbeat (a Redis key it stamps) fresh?"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import heartbeat


class Command(BaseCommand):
    help = "Exit non-zero when celery beat has not stamped its heartbeat recently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help="seconds (default: BEAT_HEARTBEAT_MAX_AGE)",
        )

    def handle(self, *args: Any, max_age: float | None, **options: Any) -> None:
        limit = float(settings.BEAT_HEARTBEAT_MAX_AGE if max_age is None else max_age)
        try:
            age = heartbeat.age()
        except (redis.RedisError, OSError) as exc:
            raise CommandError(f"check_beat: REDIS_URL: cannot read the heartbeat: {exc}") from exc
        if age is None:
            raise CommandError("check_beat: no heartbeat from celery beat")
        if age > limit:
            raise CommandError(f"check_beat: heartbeat is {age:.0f} s old (limit {limit:g} s)")
        self.stdout.write(f"check_beat: heartbeat {age:.0f} s old")
