"""One request per interval across every worker and process, scheduled through Redis.

Each caller atomically reserves the next free slot (`max(now, next_free)`, measured on the
Redis server's clock so hosts with skewed clocks agree) and sleeps until it. Reservations are
strictly spaced by the interval, whatever the number of workers.
"""

from __future__ import annotations

import time
from functools import cache
from typing import NamedTuple

import redis
from django.conf import settings

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl = math.ceil((slot + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return {string.format('%.6f', slot), string.format('%.6f', slot - now)}
"""


class Turn(NamedTuple):
    at: float  # the reserved slot, seconds on the Redis server's clock
    delay: float  # how long the caller slept for it


@cache
def get_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)


def redis_key(*parts: str) -> str:
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", "paperboy"))
    return ":".join([prefix, *parts])


class RateLimiter:
    def __init__(
        self, name: str, interval: float, client: redis.Redis | None = None, key: str = ""
    ) -> None:
        self.key = key or redis_key("ratelimit", name)
        self.interval = interval
        self.client = client or get_redis(settings.REDIS_URL)
        self._reserve = self.client.register_script(_RESERVE)

    def wait(self) -> Turn:
        """Block until this caller's turn; return it (its slot on the Redis clock, the wait)."""
        at, delay = (float(v) for v in self._reserve(keys=[self.key], args=[self.interval]))
        if delay > 0:
            time.sleep(delay)
        return Turn(at, delay)


def arxiv_limiter() -> RateLimiter:
    """arXiv asks for one request every 3 seconds, for the API and OAI-PMH alike."""
    return RateLimiter("arxiv", settings.ARXIV_REQUEST_INTERVAL)
