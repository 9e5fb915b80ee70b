"""Build a configured source by name, from settings."""

from __future__ import annotations

from email.utils import parseaddr
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings

from ranking.services.ratelimit import arxiv_limiter
from ranking.sources.arxiv_api import ArxivApiSource
from ranking.sources.base import Source
from ranking.sources.files import FileSource
from ranking.sources.hf import HfDailySource
from ranking.sources.http import HttpPolicy
from ranking.sources.oai import OaiSource

SOURCE_NAMES = ("arxiv", "oai", "hf", "file")


def http_policy() -> HttpPolicy:
    return HttpPolicy(
        timeout=settings.INGEST_HTTP_TIMEOUT,
        deadline=settings.INGEST_REQUEST_DEADLINE,
        user_agent=user_agent(),
        max_bytes=settings.INGEST_MAX_RESPONSE_BYTES,
        attempts=settings.INGEST_HTTP_ATTEMPTS,
        backoff=settings.INGEST_RETRY_BACKOFF,
        max_wait=settings.INGEST_RETRY_MAX_WAIT,
    )


def user_agent() -> str:
    """`Paperboy/<version> (+<site>; mailto:<contact>)`: who is asking, and whom to tell."""
    contact = settings.INGEST_CONTACT_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    try:
        release = version("paperboy")
    except PackageNotFoundError:
        release = "dev"
    return f"Paperboy/{release} (+{settings.SITE_URL}; mailto:{contact})"


def build_source(name: str) -> Source:
    if name == "arxiv":
        return ArxivApiSource(
            settings.ARXIV_API_URL,
            http_policy(),
            before_request=arxiv_limiter().wait,
            page_size=settings.ARXIV_API_PAGE_SIZE,
            max_results=settings.ARXIV_API_MAX_RESULTS,
        )
    if name == "oai":
        return OaiSource(
            settings.ARXIV_OAI_URL,
            http_policy(),
            before_request=arxiv_limiter().wait,
            metadata_prefix=settings.ARXIV_OAI_METADATA_PREFIX,
        )
    if name == "hf":
        return HfDailySource(settings.HF_DAILY_PAPERS_URL, http_policy())
    if name == "file":
        return FileSource()
    raise ValueError(f"unknown source {name!r}; expected one of {', '.join(SOURCE_NAMES)}")
