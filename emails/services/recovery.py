"""What the recovery sweep needs to know beyond the ledger: when the queue was last lost, and
which hourly slots never got a run.

Celery's queue lives in Redis, which may run without persistence: a restart loses every queued
task (a slot's `run_nightly`, chunks waiting their turn). Redis's uptime says when that last
happened, so work queued before it is known lost at once instead of after SEND_QUEUE_TIMEOUT.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.utils import timezone

from emails import conf
from emails.models import NightlyRun
from emails.services.nightly import slot_of, undelivered
from ranking.services.ratelimit import get_redis

logger = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


def queue_started_at() -> datetime | None:
    """When the Redis holding the queue (the broker is REDIS_URL's server) last started, on
    this process's clock; None when it cannot say (INFO refused, Redis away)."""
    try:
        uptime = float(get_redis(settings.REDIS_URL).info("server")["uptime_in_seconds"])
    except (redis.RedisError, KeyError, TypeError, ValueError) as exc:
        logger.info("cannot tell when Redis started: %s", exc)
        return None
    return timezone.now() - timedelta(seconds=uptime)


def missing_slots(queue_started: datetime | None) -> list[datetime]:
    """Slots of the last 24 hours (conf.lookback) that have no run although someone who was
    subscribed then is still without their digest, and whose `run_nightly` should have run
    by now: enqueued more than SEND_QUEUE_TIMEOUT ago, or before the queue was lost."""
    now = timezone.now()
    first = slot_of(now - conf.lookback()) + HOUR  # a subscriber's previous slot stays out
    late = now - conf.queue_timeout()
    slots = []
    slot = first
    while slot <= now:
        if slot < late or (queue_started is not None and slot < queue_started):
            slots.append(slot)
        slot += HOUR
    opened = set(NightlyRun.objects.filter(slot__in=slots).values_list("slot", flat=True))
    return [slot for slot in slots if slot not in opened and undelivered(slot, slot + HOUR)]
