"""Back off per recipient domain, shared by every worker through Redis.

A 4xx for one message says little: the message is tried again soon on a new connection
(conf.retry_soon) and the rest of the chunk goes on. A domain that refuses several messages in
a row (greylisting, a receiving server rate-limiting us) is paused for every worker, doubling
from SEND_RETRY_BACKOFF up to SEND_RETRY_MAX_WAIT while it keeps refusing; its messages wait
unclaimed, costing no attempt, and every other domain is sent as usual.

Redis trouble never stops sending here: without Redis no domain is paused (the send rate
limiter, which needs Redis too, is what stops a chunk then).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

import redis
from django.conf import settings

from emails import conf
from ranking.services.ratelimit import get_redis, redis_key

logger = logging.getLogger(__name__)
# Refusals in a row, seen by one task, that pause a domain. Five, because with a fifth of all
# messages refused at random (a flaky relay) five in a row happen about once in 3,000
# refusals, while a domain refusing almost everything reaches five within seconds.
REFUSALS_BEFORE_PAUSE = 5
# A domain's pause doubles each time it is paused again within this many seconds.
LEVEL_MEMORY = 3600


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class DomainBackoff:
    def __init__(self, client: redis.Redis | None = None) -> None:
        self.client = client or get_redis(settings.REDIS_URL)
        self.in_a_row: Counter[str] = Counter()

    def paused(self, domains: Iterable[str]) -> dict[str, float]:
        """{domain: seconds of pause left} for those of `domains` that are paused."""
        names = sorted(set(domains))
        if not names:
            return {}
        try:
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.pttl(_pause_key(name))
            left = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("domain backoff unavailable: %s", exc)
            return {}
        return {name: ms / 1000 for name, ms in zip(names, left, strict=True) if ms > 0}

    def accepted(self, domain: str) -> None:
        self.in_a_row.pop(domain, None)

    def refused(self, domain: str) -> float:
        """Count a 4xx from `domain`; the seconds it is now paused for (0: not paused)."""
        self.in_a_row[domain] += 1
        if self.in_a_row[domain] < REFUSALS_BEFORE_PAUSE:
            return 0.0
        self.in_a_row.pop(domain)
        try:
            level = int(self.client.incr(_level_key(domain)))
            self.client.expire(_level_key(domain), LEVEL_MEMORY)
            seconds = conf.retry_backoff(level - 1)
            self.client.set(_pause_key(domain), "1", px=max(1, int(seconds * 1000)))
        except redis.RedisError as exc:
            logger.warning("domain backoff unavailable: %s", exc)
            return 0.0
        logger.warning(
            "%s refused %d messages in a row: paused for %.0f s",
            domain,
            REFUSALS_BEFORE_PAUSE,
            seconds,
        )
        return seconds


def _pause_key(domain: str) -> str:
    return redis_key("domain-pause", domain)


def _level_key(domain: str) -> str:
    return redis_key("domain-pause-level", domain)
