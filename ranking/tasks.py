"""Celery tasks for ingestion. Each takes primitives (ISO dates, names) and calls the service.

All are idempotent: papers are upserted by unique canonical id and a merge that changes nothing
writes nothing, so running a task twice over the same window creates and changes nothing the
second time; a per-source Redis lock stops two runs of one source overlapping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from celery import shared_task

from ranking.services.ingestion import ingest_papers
from ranking.services.sources import build_source
from ranking.sources.base import Window

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
) -> int:
    """Ingest one source over a window; return the IngestionRun id. Idempotent (see module)."""
    window = Window(
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
        categories=tuple(categories or ()),
        path=path,
    )
    return ingest_papers(build_source(source), window).pk


@shared_task
def ingest_arxiv_nightly() -> int:
    """After arXiv's announcement: OAI-PMH harvest of the last few days. Idempotent: the
    overlapping days upsert to the same papers."""
    today = datetime.now(UTC).date()
    return ingest_source("oai", since=(today - timedelta(ARXIV_OVERLAP_DAYS)).isoformat())


@shared_task
def ingest_hf_daily() -> int:
    """Hugging Face daily papers for yesterday and today (UTC). Idempotent: upvotes are
    overwritten with the latest count, papers upserted by arXiv id."""
    today = datetime.now(UTC).date()
    since = today - timedelta(HF_DAYS - 1)
    return ingest_source("hf", since=since.isoformat(), until=today.isoformat())
