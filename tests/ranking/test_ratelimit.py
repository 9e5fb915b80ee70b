"""The arXiv rate limit holds across threads and processes sharing one (real) Redis."""

from __future__ import annotations

import itertools
import multiprocessing
import threading

import pytest
import redis
from django.conf import settings

from ranking.services.ratelimit import RateLimiter, redis_key

INTERVAL = 0.1
# Slots are compared on the Redis clock: exact spacing, bar float rounding. (Wall-clock times
# after the sleep would jitter with the machine's load, so they are not what is asserted.)
TOLERANCE = 0.999


def _take(name: str, count: int, out: list[float]) -> None:
    limiter = RateLimiter(name, INTERVAL)
    for _ in range(count):
        out.append(limiter.wait().at)


def assert_spaced(times: list[float], expected: int) -> None:
    times = sorted(times)
    assert len(times) == expected
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL * TOLERANCE, gaps


def test_two_threads_never_get_turns_closer_than_the_interval() -> None:
    times: list[float] = []
    threads = [threading.Thread(target=_take, args=("threads", 5, times)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert_spaced(times, 10)


def test_two_processes_never_get_turns_closer_than_the_interval() -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(
            target=_spawned, args=(settings.REDIS_URL, redis_key("ratelimit", "procs"), 4, queue)
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    times = queue.get(timeout=60) + queue.get(timeout=60)
    for process in processes:
        process.join(timeout=30)

    assert_spaced(times, 8)


def _spawned(
    redis_url: str, key: str, count: int, queue: multiprocessing.Queue[list[float]]
) -> None:
    """A separate interpreter with its own connection: only the Redis key is shared."""
    limiter = RateLimiter("procs", INTERVAL, client=redis.Redis.from_url(redis_url), key=key)
    times = []
    for _ in range(count):
        times.append(limiter.wait().at)
    queue.put(times)


@pytest.mark.parametrize("name", ["a", "b"])
def test_separate_limits_do_not_wait_for_each_other(name: str) -> None:
    first = RateLimiter(f"solo-{name}", 30).wait()

    assert first.delay == 0.0
