"""A token bucket in Redis shared by every worker: at most EMAIL_RATE_PER_SECOND messages per
second overall, with bursts of up to one second's worth.

Refill is computed on the Redis server's clock, so workers on hosts with skewed clocks agree.
A Redis error propagates: the send task treats it as transient and retries the chunk later.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings

from emails import conf
from ranking.services.ratelimit import get_redis, redis_key

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= want then
  tokens = tokens - want
else
  wait = (want - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return string.format('%.6f', wait)
"""


class TokenBucket:
    def __init__(self, name: str, rate: float, client: redis.Redis | None = None) -> None:
        self.key = redis_key("bucket", name)
        self.rate = rate
        self.burst = max(1.0, rate)
        self.client = client or get_redis(settings.REDIS_URL)
        self._take = self.client.register_script(_TAKE)

    def take(self, count: int = 1) -> float:
        """Block until `count` tokens (at most the burst) are ours; return how long we waited."""
        if count <= 0:
            return 0.0
        if count > self.burst:
            raise ValueError(f"cannot take {count} tokens at once: the burst is {self.burst:g}")
        waited = 0.0
        while True:
            wait = float(self._take(keys=[self.key], args=[self.rate, self.burst, count]))
            if wait <= 0:
                return waited
            time.sleep(wait)
            waited += wait


def email_bucket() -> TokenBucket:
    return TokenBucket("email", conf.rate_per_second())
