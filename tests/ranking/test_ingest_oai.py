from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.services.sources import build_source
from ranking.sources.base import Window
from tests.ranking.fixture_server import (
    FixtureServer,
    Reply,
    Route,
    oai_error,
    oai_pages,
    recorded,
)

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
FULL_DAY = 2265


def harvest(window: Window | None = None) -> IngestionRun:
    return ingest_papers(build_source("oai"), window or Window())


def test_it_harvests_the_full_day_following_resumption_tokens(serve: Serve) -> None:
    server = serve(oai_pages())

    run = harvest(Window(since=date(2023, 3, 7)))

    assert run.status == IngestionRun.Status.SUCCEEDED, run.errors
    assert (run.fetched, run.created, run.skipped) == (FULL_DAY, FULL_DAY, 0)
    assert Paper.objects.count() == FULL_DAY
    assert [s.query.get("resumptionToken", "") for s in server.seen] == [
        "",
        "6511260|1001",
        "6511260|2001",
    ]
    assert server.seen[0].query == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "from": "2023-03-07",
    }


def test_it_creates_nothing_when_run_twice(serve: Serve) -> None:
    serve(oai_pages())
    harvest()
    first_seen = dict(Paper.objects.values_list("canonical_id", "first_seen"))

    again = harvest()

    assert (again.created, again.updated, again.unchanged) == (0, 0, FULL_DAY)
    assert dict(Paper.objects.values_list("canonical_id", "first_seen")) == first_seen


def test_it_reads_oai_dc_fields(serve: Serve) -> None:
    serve(oai_pages())
    harvest()

    paper = Paper.objects.get(canonical_id="0806.4410")

    assert paper.title == "Summing the curious series of Kempner and Irwin"
    assert paper.authors == ["Robert Baillie"]
    assert paper.abstract.startswith("In 1914, Kempner proved that the series 1/1 + 1/2")
    assert "Comment:" not in paper.abstract
    assert paper.version == 2
    assert paper.categories == ["math"]
    assert paper.published is not None
    assert paper.published.date().isoformat() == "2008-06-27"
    assert paper.abs_url == "https://arxiv.org/abs/0806.4410"
    assert paper.sources == ["arxiv-oai"]
    assert Paper.objects.get(canonical_id="nlin/0202021").title  # legacy id, base form


def test_it_reads_arxiv_metadata_format(serve: Serve) -> None:
    serve(lambda path, query: Reply(body=recorded("arxiv-oai/arxiv-physics-hep-ex.xml")))

    run = harvest()

    assert (run.status, run.created) == (IngestionRun.Status.SUCCEEDED, 3)
    paper = Paper.objects.get(canonical_id="1706.09418")
    assert paper.categories == ["hep-ph", "hep-ex"]
    assert paper.primary_category == "hep-ph"
    assert paper.doi == "10.1140/epjc/s10052-017-5414-4"
    assert paper.authors[0] == "Daniel Dercks"


def test_an_expired_resumption_token_fails_the_run_and_keeps_whole_pages(serve: Serve) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if query.get("resumptionToken"):
            return Reply(body=oai_error("badResumptionToken", "expired"))
        return Reply(body=recorded("arxiv-oai/ListRecords_data_0.xml"))

    serve(route)

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "badResumptionToken" in run.errors
    assert "re-run the window" in run.errors
    assert run.created == Paper.objects.count() == 1000


def test_no_records_match_is_an_empty_successful_run(serve: Serve) -> None:
    serve(lambda path, query: Reply(body=oai_error("noRecordsMatch", "none")))

    run = harvest()

    assert (run.status, run.fetched) == (IngestionRun.Status.SUCCEEDED, 0)


def test_records_without_title_or_abstract_are_skipped_and_counted(serve: Serve) -> None:
    page = recorded("arxiv-oai/ListRecords_data_2.xml")
    page = page.replace(
        b"<dc:title>A Simple 2-Approximation for Maximum-Leaf Spanning Tree</dc:title>",
        b"<dc:title>   </dc:title>",
    )
    serve(lambda path, query: Reply(body=page))

    run = harvest()

    assert (run.status, run.fetched, run.skipped, run.created) == ("succeeded", 265, 1, 264)
    assert "no title" in run.errors


def with_doctype(page: bytes, doctype: bytes) -> bytes:
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>'
    return page.replace(declaration, declaration + b"\n" + doctype, 1)


def test_a_record_holding_an_xml_entity_is_skipped_by_identifier_and_the_rest_kept(
    serve: Serve,
) -> None:
    # Entities are never expanded; lxml leaves a node whose text .text and findtext() stop at,
    # so without the check these titles were stored cut short ("IFAN: ... Humans and NLP").
    page = with_doctype(
        recorded("arxiv-oai/ListRecords_data_2.xml"),
        b'<!DOCTYPE OAI-PMH SYSTEM "http://example.org/oai.dtd" [<!ENTITY leaf "Maximum-Leaf">]>',
    )
    page = page.replace(b"for Maximum-Leaf Spanning", b"for &leaf; Spanning")  # declared
    page = page.replace(b"Models</dc:title>", b"&foo; Models</dc:title>", 1)  # undeclared
    serve(lambda path, query: Reply(body=page))

    run = harvest()

    assert (run.status, run.fetched, run.skipped, run.created) == ("succeeded", 265, 2, 263)
    assert "oai:arXiv.org:2303.03124: holds XML entity references (&foo;)" in run.errors
    assert "oai:arXiv.org:2303.03125: holds XML entity references (&leaf;)" in run.errors
    assert not Paper.objects.filter(canonical_id__in=["2303.03124", "2303.03125"]).exists()


def test_an_undeclared_entity_without_a_dtd_fails_the_page_as_malformed(serve: Serve) -> None:
    page = recorded("arxiv-oai/ListRecords_data_2.xml").replace(
        b"Models</dc:title>", b"&foo; Models</dc:title>", 1
    )
    serve(lambda path, query: Reply(body=page))

    run = harvest()

    assert run.status == IngestionRun.Status.FAILED
    assert "Entity 'foo' not defined" in run.errors
    assert not Paper.objects.exists()


def test_text_around_a_comment_or_child_element_is_read_whole(serve: Serve) -> None:
    page = recorded("arxiv-oai/ListRecords_data_2.xml").replace(
        b"A Simple 2-Approximation for Maximum-Leaf Spanning Tree",
        b"A Simple <!-- markup -->2-Approximation for <i>Maximum-Leaf</i> Spanning Tree",
    )
    serve(lambda path, query: Reply(body=page))

    harvest()

    paper = Paper.objects.get(canonical_id="2303.03125")
    assert paper.title == "A Simple 2-Approximation for Maximum-Leaf Spanning Tree"
