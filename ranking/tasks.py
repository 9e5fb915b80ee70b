"""Celery tasks for ingestion. Each takes primitives (ISO dates, names) and calls the service.

All are idempotent: papers are upserted by unique canonical id and a merge that changes nothing
writes nothing, so running a task twice over the same window creates and changes nothing the
second time; a per-source Redis lock stops two runs of one source overlapping.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, date, datetime, timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from redis.exceptions import LockError

from ranking.services.ingestion import describe_crash, ingest_papers
from ranking.services.sources import build_source
from ranking.sources.base import Window

logger = logging.getLogger(__name__)

# The nightly arXiv harvest re-reads this many days, so a missed night is caught up next time.
ARXIV_OVERLAP_DAYS = 3
HF_DAYS = 2


@shared_task
def ingest_source(
    source: str,
    since: str | None = None,
    until: str | None = None,
    categories: list[str] | None = None,
    path: str = "",
) -> int | None:
    """Ingest one source over a window; return the IngestionRun id. Idempotent (see module).

    A failed run is logged in one line by the service. If not even the run could be recorded
    (the database down), one line here and None, not a traceback: beat runs it again later.
    """
    window = Window(
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
        categories=tuple(categories or ()),
        path=path,
    )
    try:
        return ingest_papers(build_source(source), window).pk
    except Exception as exc:  # the database down before the run row could be written
        logger.error("ingestion %s could not run: %s", source, describe_crash(exc))
        return None


@shared_task
def ingest_arxiv_nightly() -> int | None:
    """After arXiv's announcement: OAI-PMH harvest of the last few days. Idempotent: the
    overlapping days upsert to the same papers."""
    today = datetime.now(UTC).date()
    return ingest_source("oai", since=(today - timedelta(ARXIV_OVERLAP_DAYS)).isoformat())


@shared_task
def ingest_hf_daily() -> int | None:
    """Hugging Face daily papers for yesterday and today (UTC). Idempotent: upvotes are
    overwritten with the latest count, papers upserted by arXiv id."""
    today = datetime.now(UTC).date()
    since = today - timedelta(HF_DAYS - 1)
    return ingest_source("hf", since=since.isoformat(), until=today.isoformat())


@shared_task(base=DjangoTask)
def rank_subscribers_chunk(subscriber_ids: list[int], run_date: str) -> int:
    """Rank one chunk of due subscribers for `run_date` (ISO date).

    Idempotent: each subscriber's Recommendation rows for the date are replaced in one
    transaction, so a retried or duplicated task leaves exactly one set.
    """
    from ranking.services.recommend import rank_subscribers

    return rank_subscribers(subscriber_ids, date.fromisoformat(run_date)).recommendations


@shared_task(base=DjangoTask)
def refresh_subscriber_model(subscriber_id: int) -> bool:
    """Refit one subscriber's model after their profile or feedback changed.

    Idempotent: the model is refit only when the profile hash or the encoder changed. With
    no catalogue yet there is nothing to fit against; the nightly run fits it later.
    """
    from ranking.core import EncoderUnavailable
    from ranking.services.recommend import refresh_subscriber_model as refresh
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    try:
        return refresh(subscriber)
    except EncoderUnavailable as exc:
        logger.warning("model of subscriber %s not refit: %s", subscriber_id, exc)
        return False


@shared_task(base=DjangoTask)
def refresh_encoder() -> str:
    """Switch to a refit encoder once the catalogue has outgrown the current one, preparing
    RANKING_SWITCH_BATCH subscriber models per run and queueing the next run until done.

    Idempotent and resumable: prepared models are skipped, and one run at a time holds a Redis
    lock (a second one returns at once); a killed run is resumed by the next beat tick.
    """
    from django.conf import settings

    from ranking.core import EncoderUnavailable
    from ranking.services.encoder_switch import refresh_encoder as refresh
    from ranking.services.ratelimit import get_redis, redis_key

    lock = get_redis(settings.REDIS_URL).lock(redis_key("encoder", "switch"), timeout=3600)
    if not lock.acquire(blocking=False):
        return "busy: another run is preparing the encoder"
    try:
        report = refresh(limit=settings.RANKING_SWITCH_BATCH)
    except EncoderUnavailable as exc:  # an empty catalogue: nothing to fit yet
        logger.info("encoder not refreshed: %s", exc)
        return f"nothing to do: {exc}"
    finally:
        with contextlib.suppress(LockError):  # expired during a long run: nothing to release
            lock.release()
    if report.state == "preparing":
        refresh_encoder.delay()
    logger.info("%s", report)
    return str(report)
