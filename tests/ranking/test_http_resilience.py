"""Bad responses through a real local server: each gives a failed run with a clear error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.services.sources import build_source
from ranking.sources.base import Window
from tests.ranking.fixture_server import FixtureServer, Reply, Route, oai_pages, recorded

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
PAGE_0 = "arxiv-oai/ListRecords_data_0.xml"


def harvest() -> IngestionRun:
    return ingest_papers(build_source("oai"), Window())


def test_it_retries_429_honouring_retry_after(serve: Serve) -> None:
    answers = iter([Reply(status=429, headers={"Retry-After": "1"})])
    server = serve(lambda path, query: next(answers, None) or oai_pages()(path, query))

    run = harvest()

    assert run.status == IngestionRun.Status.SUCCEEDED, run.errors
    assert run.created == 2265
    first, second = server.seen[0].at, server.seen[1].at
    assert second - first >= 0.9  # waited as asked, not the 0.01 s test backoff


def test_it_retries_5xx_and_timeouts_then_succeeds(serve: Serve) -> None:
    answers = iter([Reply(status=503), Reply(status=502)])
    serve(lambda path, query: next(answers, None) or oai_pages()(path, query))

    run = harvest()

    assert (run.status, run.created) == (IngestionRun.Status.SUCCEEDED, 2265)


def test_a_source_down_for_the_whole_window_fails_the_run(serve: Serve) -> None:
    server = serve(lambda path, query: Reply(status=503, body=b"down"))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "answered HTTP 503" in run.errors
    assert "gave up after 3 attempts" in run.errors
    assert len(server.seen) == 3
    assert Paper.objects.count() == 0


def test_an_unreachable_source_fails_the_run(settings: SettingsWrapper) -> None:
    settings.ARXIV_OAI_URL = "http://127.0.0.1:9/oai2"

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "cannot reach http://127.0.0.1:9/oai2" in run.errors
    assert run.finished_at is not None


def test_an_html_error_page_with_status_200_is_not_data(serve: Serve) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
    serve(lambda path, query: Reply(body=page, content_type="text/html"))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "expected XML, got an HTML page" in run.errors
    assert "Service temporarily unavailable" in run.errors
    assert Paper.objects.count() == 0


def test_truncated_xml_fails_and_writes_no_half_page(serve: Serve) -> None:
    whole = recorded(PAGE_0)
    serve(lambda path, query: Reply(body=whole[: len(whole) // 2]))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "malformed or truncated XML" in run.errors
    assert Paper.objects.count() == 0


def test_a_truncated_second_page_keeps_the_first_and_rerun_completes(serve: Serve) -> None:
    full = oai_pages()
    broken = {"on": True}

    def route(path: str, query: dict[str, str]) -> Reply:
        reply = full(path, query)
        if broken["on"] and query.get("resumptionToken") == "6511260|1001":
            assert isinstance(reply.body, bytes)
            return Reply(body=reply.body[:50_000])
        return reply

    serve(route)
    failed = harvest()
    broken["on"] = False

    rerun = harvest()

    assert (failed.status, failed.created) == (IngestionRun.Status.FAILED, 1000)
    assert (rerun.status, rerun.created, rerun.unchanged) == ("succeeded", 1265, 1000)
    assert Paper.objects.count() == 2265


def _fifty_megabytes() -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    for _ in range(50):
        yield b" " * (1024 * 1024)


def test_a_50_mb_streamed_response_is_refused_at_the_limit(serve: Serve) -> None:
    server = serve(lambda path, query: Reply(body=_fifty_megabytes()))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "exceeds the 20,971,520-byte limit" in run.errors
    assert len(server.seen) == 1  # not worth retrying


def test_a_declared_50_mb_response_is_refused_before_reading(serve: Serve) -> None:
    size = str(50 * 1024 * 1024)
    serve(lambda path, query: Reply(body=_fifty_megabytes(), headers={"Content-Length": size}))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "declares 52,428,800 bytes" in run.errors
