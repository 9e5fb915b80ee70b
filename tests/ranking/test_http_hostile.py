"""Hostile servers: trickling bodies, redirects elsewhere, and politeness that holds."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.services.ratelimit import RateLimiter
from ranking.services.sources import build_source, http_policy
from ranking.sources.base import SourceError, Window
from ranking.sources.http import PoliteSession
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages, recorded_api

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]


def trickle(stop: threading.Event) -> Iterator[bytes]:
    """One byte every 0.2 s, for as long as the client listens (or the test ends)."""
    yield b"<?xml version='1.0'?>"
    while not stop.wait(0.2):
        yield b" "


def test_a_trickling_server_is_cut_off_at_the_deadline_and_the_lock_freed(
    serve: Serve, settings: SettingsWrapper
) -> None:
    settings.INGEST_REQUEST_DEADLINE = 1.5
    server = serve(lambda path, query: Reply(body=trickle(server.release)))

    run = ingest_papers(build_source("oai"), Window())

    assert run.status == IngestionRun.Status.FAILED
    assert "within 1.5 s" in run.errors
    assert "INGEST_REQUEST_DEADLINE" in run.errors
    assert len(server.seen) == 1  # not retried: a trickling server is broken, not busy
    assert run.finished_at is not None
    # The lock went with the run: the next one starts (and fails the same way), not "busy".
    again = ingest_papers(build_source("oai"), Window())
    assert "another" not in again.errors
    assert "within 1.5 s" in again.errors


@pytest.mark.parametrize(
    "location",
    ["http://localhost:{port}/elsewhere", "file:///etc/passwd", "https://127.0.0.1:{port}/oai2"],
)
def test_a_redirect_to_another_host_or_scheme_is_refused(serve: Serve, location: str) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/elsewhere":
            return oai_pages()(path, query)
        port = server.base_url.rsplit(":", 1)[1]
        return Reply(status=302, headers={"Location": location.format(port=port)})

    server = serve(route)

    run = ingest_papers(build_source("oai"), Window())

    assert run.status == IngestionRun.Status.FAILED
    assert "another host or scheme" in run.errors
    assert "Traceback" not in run.errors
    assert [seen.path for seen in server.seen] == ["/oai2"]  # nothing fetched from the target
    assert Paper.objects.count() == 0


def test_a_same_host_redirect_is_followed_and_each_hop_waits_its_turn(serve: Serve) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/oai2":
            return Reply(status=301, headers={"Location": "/moved/oai2?" + _query(query)})
        return oai_pages()("/oai2", query)

    server = serve(route)
    turns: list[float] = []
    session = PoliteSession("test", http_policy(), before_request=lambda: turns.append(1.0))

    response = session.get(server.url("/oai2"), params={"verb": "ListRecords"})

    assert response.status_code == 200
    assert [seen.path for seen in server.seen] == ["/oai2", "/moved/oai2"]
    assert len(turns) == 2  # the hop is a second request, so it takes a second turn


def _query(query: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items())


def test_too_many_redirects_fail_with_one_line(serve: Serve) -> None:
    serve(lambda path, query: Reply(status=302, headers={"Location": path}))

    with pytest.raises(SourceError, match="over 5 redirects"):
        PoliteSession("test", http_policy()).get(settings.ARXIV_OAI_URL)


def test_every_source_sends_paperboys_user_agent_with_a_contact(
    serve: Serve, settings: SettingsWrapper
) -> None:
    settings.INGEST_CONTACT_EMAIL = "library@lab.example.org"
    server = serve(lambda path, query: recorded_api("2104.12255v1"))

    ingest_papers(build_source("arxiv"), Window(ids=("2104.12255",)))

    agents = {seen.headers["user-agent"] for seen in server.seen}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("Paperboy/")
    assert "mailto:library@lab.example.org" in agent
    assert "arxiv.py" not in agent  # the arxiv client's own agent is replaced


def test_two_runs_at_once_never_reach_the_server_closer_than_the_interval(serve: Serve) -> None:
    server = serve(lambda path, query: Reply(body=b"ok", content_type="text/plain"))
    interval = 0.5

    def run(name: str) -> None:
        limiter = RateLimiter("hostile-two-runs", interval)
        session = PoliteSession(name, http_policy(), before_request=limiter.wait)
        for _ in range(4):
            session.get(server.url(f"/{name}"))

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    arrivals = sorted(seen.at for seen in server.seen)
    assert len(arrivals) == 8
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # Measured where arXiv measures it: at the server, between requests from either run.
    assert min(gaps) >= interval, gaps


def test_the_deadline_does_not_cut_a_slow_but_whole_answer(
    serve: Serve, settings: SettingsWrapper
) -> None:
    settings.INGEST_REQUEST_DEADLINE = 30.0

    def slow(path: str, query: dict[str, str]) -> Reply:
        time.sleep(0.3)  # a busy server: slower than usual, well inside the deadline
        return oai_pages()(path, query)

    serve(slow)

    run = ingest_papers(build_source("oai"), Window())

    assert run.status == IngestionRun.Status.SUCCEEDED, run.errors
