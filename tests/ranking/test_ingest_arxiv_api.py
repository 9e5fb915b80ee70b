from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.services.sources import build_source
from ranking.sources.arxiv_api import build_query
from ranking.sources.base import Window
from tests.ranking.fixture_server import FixtureServer, Reply, Route, recorded, recorded_api

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
SEARCH_PAGES = {
    "0": "q_testing_s0_m10_bc5a6c384fe9",
    "10": "q_testing_s10_m10_34e56e15aaac",
    "20": "q_testing_s20_m10_348a237fecab",
    "30": "q_testing_s30_m10_f2e39f0143dc",
    "40": "q_testing_s40_m10_96dd32eb854c",
    "50": "q_testing_s50_m10_7f488ab8598c",
}
ID_LISTS = {
    "astro-ph/0601001": "id_astro-ph_0601001_s0_m100_3150dca9dc76",
    "quant-ph/0201082v1": "id_quant-ph_0201082v1_s0_m100_86989fe779ef",
    "2104.12255v1": "id_2104.12255v1_s0_m100_6ae69987ffe1",
    "abc": "id_abc_s0_m100_b79c8dcf6bc3",
    "0000.0000": "id_0000.0000_s0_m100_8b51d9633a68",
}


def route(path: str, query: dict[str, str]) -> Reply:
    """Recorded pages by id_list, or by page offset for a search (the query text differs)."""
    if query.get("id_list"):
        return recorded_api(ID_LISTS[query["id_list"]])
    return recorded_api(SEARCH_PAGES[query["start"]])


@pytest.fixture(autouse=True)
def _pages(settings: SettingsWrapper) -> None:
    settings.ARXIV_API_PAGE_SIZE = 10
    settings.ARXIV_API_MAX_RESULTS = 60


def fetch(window: Window) -> IngestionRun:
    return ingest_papers(build_source("arxiv"), window)


def test_it_pages_through_a_search(serve: Serve) -> None:
    server = serve(route)

    run = fetch(Window(categories=("cs.LG",), since=date(2024, 1, 1)))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.errors
    assert run.fetched == 60
    assert [s.query["start"] for s in server.seen] == list(SEARCH_PAGES)
    assert server.seen[0].query["search_query"] == (
        "(cat:cs.LG) AND submittedDate:[202401010000 TO 999912312359]"
    )
    assert run.created + run.updated + run.unchanged == 60
    assert Paper.objects.count() == run.created
    assert {tuple(s) for s in Paper.objects.values_list("sources", flat=True)} == {("arxiv-api",)}


def test_it_stores_primary_category_first_and_strips_the_version(serve: Serve) -> None:
    serve(route)

    fetch(Window(ids=("2104.12255v1",)))

    paper = Paper.objects.get()
    assert paper.canonical_id == "2104.12255"
    assert paper.version == 1
    assert paper.categories[0] == paper.primary_category
    assert paper.pdf_url.startswith("https://arxiv.org/pdf/2104.12255")
    assert paper.sources == ["arxiv-api"]


@pytest.mark.parametrize(
    ("ids", "canonical"),
    [("astro-ph/0601001", "astro-ph/0601001"), ("quant-ph/0201082v1", "quant-ph/0201082")],
)
def test_it_handles_legacy_ids(serve: Serve, ids: str, canonical: str) -> None:
    serve(route)

    run = fetch(Window(ids=(ids,)))

    assert run.created == 1
    assert Paper.objects.get().canonical_id == canonical


def test_an_empty_result_is_a_successful_empty_run(serve: Serve) -> None:
    serve(route)

    run = fetch(Window(ids=("0000.0000",)))

    assert (run.status, run.fetched) == (IngestionRun.Status.SUCCEEDED, 0)


def test_an_api_error_fails_the_run_with_its_status(serve: Serve) -> None:
    serve(route)

    run = fetch(Window(ids=("abc",)))

    assert run.status == IngestionRun.Status.FAILED
    assert "arXiv API: Page request resulted in HTTP 400" in run.errors


def test_requests_go_through_the_shared_rate_limit(serve: Serve, settings: SettingsWrapper) -> None:
    settings.ARXIV_REQUEST_INTERVAL = 0.2
    server = serve(route)

    fetch(Window())

    assert len(server.seen) == 6
    # Six turns are at least five intervals apart end to end (per-gap arrival times jitter
    # with machine load; the limiter's own spacing is tested in test_ratelimit.py).
    assert server.seen[-1].at - server.seen[0].at >= 5 * 0.2 * 0.95


def test_build_query_combines_categories_and_dates() -> None:
    window = Window(categories=("cs.LG", "stat.ML"), since=date(2024, 1, 2), until=date(2024, 1, 3))

    assert build_query(window) == (
        "(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202401020000 TO 202401032359]"
    )


def test_it_reads_the_2016_feed_format_with_version_and_doi(serve: Serve) -> None:
    legacy = Reply(body=recorded("arxiv-api/id_list_1111.2011v2.xml"))
    serve(lambda path, query: legacy)

    run = fetch(Window(ids=("1111.2011v2",)))

    paper = Paper.objects.get()
    assert run.created == 1
    assert (paper.canonical_id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.abstract.startswith("Theoretical description of anisotropic systems")
    assert paper.doi == "10.1103/physrevb.85.115117"
    assert paper.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "file:///etc/passwd"])
def test_a_pdf_link_that_is_not_http_is_dropped_and_the_paper_kept(serve: Serve, bad: str) -> None:
    recorded_reply = recorded_api(ID_LISTS["2104.12255v1"])
    assert isinstance(recorded_reply.body, bytes)
    good = b'href="https://arxiv.org/pdf/2104.12255v1"'
    assert good in recorded_reply.body
    edited = Reply(body=recorded_reply.body.replace(good, f'href="{bad}"'.encode()))
    serve(lambda path, query: edited)

    run = fetch(Window(ids=("2104.12255v1",)))

    assert (run.status, run.created, run.skipped) == (IngestionRun.Status.SUCCEEDED, 1, 0)
    paper = Paper.objects.get()
    assert paper.pdf_url == ""
    assert paper.abs_url == "https://arxiv.org/abs/2104.12255"
    assert (paper.canonical_id, paper.title) == ("2104.12255", "0")
    assert paper.abstract.startswith("What is the funniest number in cryptography?")
    assert paper.authors == ["Quan Thoi Minh Nguyen"]
    assert paper.categories == ["cs.CR"]


def test_an_html_page_with_status_200_fails_the_run(serve: Serve) -> None:
    page = b"<html><head><title>Rate exceeded</title></head><body>Slow down</body></html>"
    serve(lambda path, query: Reply(body=page, content_type="text/html"))

    run = fetch(Window(ids=("2104.12255v1",)))

    assert run.status == IngestionRun.Status.FAILED
    assert "expected XML, got an HTML page" in run.errors
    assert Paper.objects.count() == 0
