"""Failed admin logins, counted in Redis so every web process sees the same counts.

Only failures count, keyed per (client address, username): a guesser is slowed to
ADMIN_LOGIN_FAILURES_PER_PAIR tries a window for each username it tries from each address, and
an address that sprays many usernames stops at ADMIN_LOGIN_FAILURES_PER_ADDRESS. Nobody can
lock the owner out by failing for their username from elsewhere: an address with no failures
is never refused. Counts live in fixed windows (like django-ratelimit's), so a refusal ends at
the end of the window whatever the guesser keeps sending (refused attempts are not counted).

Keys are readable (`<prefix>:admin-login:pair:<address>:<username digest>:<window>`) so that
`manage.py unlock_admin` can find and clear them by address or username. Usernames are stored
as digests: a password typed into the username field never lands in Redis.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import re
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_GLOB = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class Limit:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, rate: str) -> Limit:
        """`5/15m` is five per fifteen minutes (the same format as django-ratelimit's)."""
        count, _, span = rate.partition("/")
        multiple, unit = span[:-1] or "1", span[-1]
        return cls(int(count), int(multiple) * _PERIODS[unit])


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after: int  # seconds until the window ends


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'paperboy')}:admin-login"


def pair_limit() -> Limit:
    return Limit.parse(settings.ADMIN_LOGIN_FAILURES_PER_PAIR)


def address_limit() -> Limit:
    return Limit.parse(settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS)


def normal_address(raw: str) -> str:
    """An IPv4 address as is; an IPv6 address as its /64 (one host usually holds a whole /64,
    so counting single IPv6 addresses would let it rotate through them)."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def client_address(request: HttpRequest) -> str:
    """The address rate limits count (RATELIMIT_IP_META_KEY, shared with django-ratelimit)."""
    meta = settings.RATELIMIT_IP_META_KEY
    raw = import_string(meta)(request) if "." in meta else request.META.get(meta, "")
    return normal_address(str(raw or ""))


def username_digest(username: str) -> str:
    return hashlib.sha256(username[:150].strip().lower().encode()).hexdigest()


def _window(limit: Limit, now: float) -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    number = math.floor(now) // limit.period
    return number, (number + 1) * limit.period - math.floor(now)


def _keys(address: str, digest: str, now: float) -> tuple[str, str]:
    pair_window, _ = _window(pair_limit(), now)
    address_window, _ = _window(address_limit(), now)
    return (
        f"{_prefix()}:pair:{address}:{digest}:{pair_window}",
        f"{_prefix()}:address:{address}:{address_window}",
    )


def refusal(address: str, username: str, now: float | None = None) -> Refusal | None:
    """Why a login attempt from `address` for `username` is refused now, or None."""
    now = time.time() if now is None else now
    pair_count, address_count = (
        int(value or 0) for value in client().mget(_keys(address, username_digest(username), now))
    )
    if pair_count >= (limit := pair_limit()).count:
        reason = f"{limit.count} failed logins for this username from your address"
        return Refusal(reason, _window(limit, now)[1])
    if address_count >= (limit := address_limit()).count:
        reason = f"{limit.count} failed logins from your address"
        return Refusal(reason, _window(limit, now)[1])
    return None


def record_failure(address: str, username: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    pair_key, address_key = _keys(address, username_digest(username), now)
    with client().pipeline(transaction=True) as pipe:
        # Kept a little past the window's end, then Redis drops them.
        pipe.incr(pair_key)
        pipe.expire(pair_key, pair_limit().period + 60)
        pipe.incr(address_key)
        pipe.expire(address_key, address_limit().period + 60)
        pipe.execute()


def clear(address: str | None = None, username: str | None = None) -> int:
    """Delete the failure counts of `address` and/or `username` (every count when neither is
    given); returns how many keys went. An address's own count goes with `address` alone or
    with both, since it refuses that address whatever the username."""
    base = _glob_escape(_prefix())
    where = _glob_escape(normal_address(address)) if address else "*"
    who = username_digest(username) if username else "*"
    patterns = [f"{base}:pair:{where}:{who}:*"]
    if address or not username:
        patterns.append(f"{base}:address:{where}:*")
    keys = [key for pattern in patterns for key in client().scan_iter(match=pattern)]
    return int(client().delete(*keys)) if keys else 0


def _glob_escape(text: str) -> str:
    return _GLOB.sub(r"\\\1", text)
