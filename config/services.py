"""Reachability of the services Paperboy needs, reported per environment variable."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError


def database_error() -> str | None:
    try:
        connections["default"].ensure_connection()
    except DatabaseError as exc:
        return f"DATABASE_URL: cannot connect: {_first_line(exc)}"
    return None


def redis_error(url: str | None = None) -> str | None:
    url = url or settings.REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"REDIS_URL: cannot reach {url}: {_first_line(exc)}"
    return None


def service_errors() -> list[str]:
    return [error for error in (database_error(), redis_error()) if error]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
