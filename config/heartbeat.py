"""Celery beat's liveness: beat stamps a Redis key while its loop runs; `manage.py check_beat`
and /healthz read its age. A hung or dead beat stops stamping, so the key ages.

Redis rather than a file: any host can check it (the operator's shell, /healthz in the web
container), and a beat that cannot reach Redis cannot send anything anyway.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def client() -> redis.Redis:
    """A short-timeout Redis client for health checks (one connection pool per process)."""
    return _client(settings.REDIS_URL)


def key() -> str:
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", "paperboy"))
    return f"{prefix}:beat:heartbeat"


def stamp(now: float | None = None) -> None:
    # Kept well past the max age, so a stale heartbeat reads as "stale" rather than "missing".
    client().set(key(), repr(time.time() if now is None else now), ex=86_400)


def age(now: float | None = None) -> float | None:
    """Seconds since beat's last stamp, or None when there is none."""
    raw = client().get(key())
    if raw is None:
        return None
    return max(0.0, (time.time() if now is None else now) - float(raw))


class HeartbeatScheduler(PersistentScheduler):
    """The default scheduler, stamping the heartbeat at least every BEAT_HEARTBEAT_INTERVAL."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            stamp()
        except (redis.RedisError, OSError) as exc:
            # Never let a Redis blip kill beat; the stale heartbeat reports it.
            logger.warning("beat heartbeat not written: %s", exc)
        interval = float(settings.BEAT_HEARTBEAT_INTERVAL)
        return min(float(super().tick(*args, **kwargs)), interval)
