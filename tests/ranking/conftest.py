from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.ranking.fixture_server import FixtureServer, Route


@pytest.fixture(autouse=True)
def _fast_ingestion(settings: SettingsWrapper) -> None:
    """Keep politeness and retry waits, but short: tests check order and spacing, not speed."""
    settings.ARXIV_REQUEST_INTERVAL = 0.01
    settings.INGEST_RETRY_BACKOFF = 0.01
    settings.INGEST_RETRY_MAX_WAIT = 2.0
    settings.INGEST_HTTP_TIMEOUT = 5.0
    settings.INGEST_HTTP_ATTEMPTS = 3


@pytest.fixture
def serve(settings: SettingsWrapper) -> Iterator[Callable[[Route], FixtureServer]]:
    """Start a local HTTP server with a route; every source's base URL points at it."""
    servers: list[FixtureServer] = []

    def start(route: Route) -> FixtureServer:
        server = FixtureServer(route).start()
        servers.append(server)
        settings.ARXIV_API_URL = server.url("/api/query")
        settings.ARXIV_OAI_URL = server.url("/oai2")
        settings.HF_DAILY_PAPERS_URL = server.url("/api/daily_papers")
        return server

    yield start
    for server in servers:
        server.stop()
