"""One request per interval across every worker and process, granted through Redis.

A caller asks Redis for a turn; Redis grants it only if the last grant (by anyone) is at least
`interval + margin` old, measured on the Redis server's clock so hosts with skewed clocks agree,
and otherwise says how long to wait. Grants are recorded when they are given, not reserved ahead:
a reserved slot lets a caller that woke late send within the interval of the next one (1.94 s
gaps were seen with a 2 s interval). The margin covers the few milliseconds between the grant and
the request leaving this host.
"""

from __future__ import annotations

import time
from functools import cache
from typing import NamedTuple

import redis
from django.conf import settings

_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local spacing = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local wait = last + spacing - now
if wait > 0 then
  return {'', string.format('%.6f', wait)}
end
redis.call('SET', KEYS[1], string.format('%.6f', now), 'PX', math.ceil(spacing * 1000) + 1000)
return {string.format('%.6f', now), '0'}
"""
# Between a grant and the request reaching the server: building it and (re)connecting.
MARGIN = 0.1


class Turn(NamedTuple):
    at: float  # when the turn was granted, seconds on the Redis server's clock
    delay: float  # how long the caller waited for it


@cache
def get_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)


def redis_key(*parts: str) -> str:
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", "paperboy"))
    return ":".join([prefix, *parts])


class RateLimiter:
    def __init__(
        self,
        name: str,
        interval: float,
        client: redis.Redis | None = None,
        key: str = "",
        margin: float = MARGIN,
    ) -> None:
        self.key = key or redis_key("ratelimit", name)
        self.interval = interval
        self.spacing = interval + margin if interval > 0 else 0.0
        self.client = client or get_redis(settings.REDIS_URL)
        self._grant = self.client.register_script(_GRANT)

    def wait(self) -> Turn:
        """Block until this caller is granted a turn; return it (when, and the wait)."""
        waited = 0.0
        while True:
            at, wait = self._grant(keys=[self.key], args=[self.spacing])
            if at:
                return Turn(float(at), waited)
            # Callers woken together race for the grant; the losers wait one more spacing.
            time.sleep(float(wait))
            waited += float(wait)


def arxiv_limiter() -> RateLimiter:
    """arXiv asks for one request every 3 seconds, for the API and OAI-PMH alike."""
    return RateLimiter("arxiv", settings.ARXIV_REQUEST_INTERVAL)
