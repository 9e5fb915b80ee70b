from __future__ import annotations

from pathlib import Path

import pytest

from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.sources.base import Window
from ranking.sources.files import FileSource

pytestmark = pytest.mark.django_db
FILES = Path(__file__).resolve().parents[2] / "ranking" / "fixtures" / "files"
DEMO = FILES.parent / "demo" / "trending-papers.txt"


def load(path: Path) -> IngestionRun:
    return ingest_papers(FileSource(), Window(path=str(path)))


def test_jsonl_stores_good_lines_and_counts_bad_ones() -> None:
    run = load(FILES / "papers.jsonl")

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert (run.fetched, run.created, run.skipped) == (8, 4, 4)
    assert "line 5 (2402.00001): no title" in run.errors
    assert "no abstract" in run.errors
    assert "field 'title' should be a string" in run.errors
    assert "line 8:" in run.errors
    assert set(Paper.objects.values_list("canonical_id", flat=True)) == {
        "2401.01234",
        "math.GT/0309136",
        "doi:10.1000/xyz.123",
        Paper.objects.get(title="A title-only paper").canonical_id,
    }
    levy = Paper.objects.get(canonical_id="2401.01234")
    assert levy.version == 2
    assert levy.title == "On $\\alpha$-stable Lévy flights in attention"  # text kept as given
    assert levy.categories == ["cs.LG", "stat.ML"]


def test_csv_merges_a_new_version_and_keeps_unicode() -> None:
    load(FILES / "papers.jsonl")
    first_seen = Paper.objects.get(canonical_id="2401.01234").first_seen

    run = load(FILES / "papers.csv")

    assert (run.created, run.updated, run.skipped) == (1, 1, 2)
    levy = Paper.objects.get(canonical_id="2401.01234")
    assert (levy.version, levy.abstract) == (3, "Version three of the abstract.")
    assert levy.first_seen == first_seen
    csv_paper = Paper.objects.get(canonical_id="2403.00007")
    assert csv_paper.title == "A CSV paper with “smart quotes” and ﬁ ligatures"
    assert csv_paper.upvotes == 12
    assert "negative" in run.errors


def test_bibtex_merges_latex_titles_and_dois_into_existing_papers() -> None:
    load(FILES / "papers.jsonl")

    run = load(FILES / "papers.bib")

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert (run.created, run.skipped) == (0, 2)
    assert "unparseable BibTeX" in run.errors
    assert Paper.objects.count() == 4
    assert Paper.objects.get(canonical_id="doi:10.1000/xyz.123").sources == ["file"]


def test_the_trending_page_format_loads_and_reloads() -> None:
    first = load(DEMO)
    second = load(DEMO)

    assert (first.created, second.created, second.unchanged) == (217, 0, 217)


def test_an_unknown_or_missing_file_fails_the_run(tmp_path: Path) -> None:
    odd = load(tmp_path / "papers.xlsx")
    missing = load(tmp_path / "missing.jsonl")

    assert "unknown file type" in odd.errors
    assert missing.status == IngestionRun.Status.FAILED
    assert "cannot read" in missing.errors
