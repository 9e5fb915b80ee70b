from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.services.sources import build_source
from ranking.sources.base import Window
from tests.ranking.fixture_server import FixtureServer, Reply, Route, recorded

pytestmark = pytest.mark.django_db
Serve = Callable[[Route], FixtureServer]
DAY = date(2024, 10, 25)
DAILY = "hf-daily-papers/daily_papers_2024-10-25.json"


def json_reply(payload: object, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(payload).encode(), content_type="application/json")


def recorded_items() -> list[dict[str, object]]:
    return json.loads(recorded(DAILY))


def fetch(day: date = DAY) -> IngestionRun:
    return ingest_papers(build_source("hf"), Window(since=day, until=day))


def test_it_stores_the_days_papers_with_upvotes(serve: Serve) -> None:
    server = serve(lambda path, query: Reply(body=recorded(DAILY)))

    run = fetch()

    assert run.status == IngestionRun.Status.SUCCEEDED, run.errors
    assert (run.fetched, run.created) == (29, 29)
    assert server.seen[0].query == {"date": "2024-10-25"}
    top = Paper.objects.get(canonical_id="2410.17243")
    assert top.upvotes == 74
    assert top.trending_on == DAY
    assert top.title.startswith("Breaking the Memory Barrier: Near Infinite Batch Size Scaling")
    assert "\n" not in top.title
    assert top.authors[0] == "Zesen Cheng"
    assert top.sources == ["hf"]


def test_running_twice_changes_nothing(serve: Serve) -> None:
    serve(lambda path, query: Reply(body=recorded(DAILY)))
    fetch()

    again = fetch()

    assert (again.created, again.updated, again.unchanged) == (0, 0, 29)


def test_an_error_object_fails_the_run_with_its_message(serve: Serve) -> None:
    body = recorded("hf-daily-papers/error_response_not_found.json")
    serve(lambda path, query: Reply(status=404, body=body, content_type="application/json"))

    run = fetch()

    assert run.status == IngestionRun.Status.FAILED
    assert "HTTP 404, expected a JSON list of papers" in run.errors
    assert "Sorry, we can't find the page" in run.errors


def test_a_non_json_body_fails_the_run(serve: Serve) -> None:
    serve(lambda path, query: Reply(body=b"<html>oops</html>", content_type="text/html"))

    run = fetch()

    assert run.status == IngestionRun.Status.FAILED
    assert "body is not JSON" in run.errors


def test_items_with_missing_or_wrongly_typed_fields_are_skipped_and_counted(serve: Serve) -> None:
    items = recorded_items()[:5]
    items[0]["paper"]["upvotes"] = "74"  # type: ignore[index]
    del items[1]["paper"]["id"]  # type: ignore[attr-defined]
    items[2]["paper"]["summary"] = ""  # type: ignore[index]
    items[3] = "not an object"  # type: ignore[call-overload]
    serve(lambda path, query: json_reply(items))

    run = fetch()

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert (run.fetched, run.skipped, run.created) == (5, 4, 1)
    assert "field 'upvotes' should be int, got str" in run.errors
    assert "missing field 'id'" in run.errors
    assert "no abstract" in run.errors
    assert "expected an object" in run.errors


def test_later_days_overwrite_upvotes_but_earlier_ones_do_not(serve: Serve) -> None:
    later = recorded_items()[:1]
    later[0]["paper"]["upvotes"] = 100  # type: ignore[index]
    days = {"2024-10-25": recorded_items()[:1], "2024-10-26": later}
    serve(lambda path, query: json_reply(days[query["date"]]))

    fetch(date(2024, 10, 26))
    fetch(date(2024, 10, 25))

    paper = Paper.objects.get()
    assert (paper.upvotes, paper.trending_on) == (100, date(2024, 10, 26))
