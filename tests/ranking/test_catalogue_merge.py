"""Deduplication: versions, cross-lists, second sources and title-only papers merge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ranking.identifiers import title_id
from ranking.models import Paper
from ranking.services.catalogue import upsert_papers
from ranking.sources.base import PaperRecord

pytestmark = pytest.mark.django_db
TITLE = "Attention Is All You Need"
ARXIV = PaperRecord(
    canonical_id="1706.03762",
    version=1,
    title=TITLE,
    abstract="The dominant sequence transduction models...",
    authors=("Ashish Vaswani", "Noam Shazeer"),
    categories=("cs.CL", "cs.LG"),
    published=datetime(2017, 6, 12, tzinfo=UTC),
    abs_url="https://arxiv.org/abs/1706.03762",
    source="arxiv-api",
)
SEED = PaperRecord(canonical_id=title_id(TITLE), title=TITLE, abstract="Seed text.", source="demo")


def test_a_new_version_updates_the_paper_without_making_it_new() -> None:
    upsert_papers([ARXIV])
    first_seen = Paper.objects.get().first_seen

    counts = upsert_papers([replace(ARXIV, version=2, abstract="Revised abstract.")])

    paper = Paper.objects.get()
    assert (counts.created, counts.updated) == (0, 1)
    assert (paper.version, paper.abstract, paper.first_seen) == (2, "Revised abstract.", first_seen)


def test_an_older_version_arriving_late_does_not_roll_back_the_text() -> None:
    upsert_papers([replace(ARXIV, version=3, abstract="v3 abstract.")])

    upsert_papers([ARXIV])

    assert (Paper.objects.get().version, Paper.objects.get().abstract) == (3, "v3 abstract.")


def test_a_cross_list_merges_categories_keeping_the_primary() -> None:
    upsert_papers([ARXIV])

    upsert_papers([replace(ARXIV, categories=("stat.ML", "cs.LG"))])

    paper = Paper.objects.get()
    assert paper.categories == ["cs.CL", "cs.LG", "stat.ML"]
    assert paper.primary_category == "cs.CL"


def test_an_archive_code_gives_way_to_a_finer_category() -> None:
    upsert_papers([replace(ARXIV, categories=("cs",), source="arxiv-oai")])

    upsert_papers([ARXIV])

    assert Paper.objects.get().categories == ["cs.CL", "cs.LG"]


def test_an_arxiv_record_upgrades_a_title_only_paper() -> None:
    upsert_papers([SEED])
    seeded = Paper.objects.get()

    counts = upsert_papers([replace(ARXIV, title="Attention is all you need!")])

    paper = Paper.objects.get()
    assert counts.created == 0
    assert (paper.pk, paper.first_seen) == (seeded.pk, seeded.first_seen)
    assert paper.canonical_id == "1706.03762"
    assert paper.abstract == ARXIV.abstract
    assert paper.sources == ["demo", "arxiv-api"]


def test_a_title_only_record_merges_into_an_arxiv_paper_without_overwriting_it() -> None:
    upsert_papers([ARXIV])

    upsert_papers([SEED])

    paper = Paper.objects.get()
    assert (paper.canonical_id, paper.abstract) == ("1706.03762", ARXIV.abstract)
    assert paper.sources == ["arxiv-api", "demo"]


def test_two_arxiv_papers_with_one_title_stay_two() -> None:
    upsert_papers([ARXIV, replace(ARXIV, canonical_id="2501.00001")])

    assert Paper.objects.count() == 2


def test_a_doi_paper_is_upgraded_by_the_arxiv_record_with_that_doi() -> None:
    doi_only = replace(SEED, canonical_id="doi:10.1000/x", doi="10.1000/x", title="Other wording")
    upsert_papers([doi_only])

    upsert_papers([replace(ARXIV, doi="10.1000/x")])

    assert list(Paper.objects.values_list("canonical_id", flat=True)) == ["1706.03762"]


def test_trending_signal_from_a_second_source_is_kept_with_its_day() -> None:
    upsert_papers([ARXIV])

    upsert_papers(
        [replace(ARXIV, source="hf", upvotes=74, comments=3, trending_on=date(2024, 1, 2))]
    )

    paper = Paper.objects.get()
    assert (paper.upvotes, paper.comments, paper.trending_on) == (74, 3, date(2024, 1, 2))
    assert paper.title == TITLE


def test_duplicates_within_one_batch_become_one_paper() -> None:
    counts = upsert_papers([ARXIV, replace(ARXIV, version=2), SEED])

    assert Paper.objects.count() == 1
    assert (counts.created, counts.updated) == (1, 2)
    assert Paper.objects.get().version == 2


def test_it_writes_in_batches_without_a_query_per_record(django_assert_max_num_queries) -> None:
    records = [
        replace(ARXIV, canonical_id=f"2501.{n:05d}", title=f"Paper {n}") for n in range(1200)
    ]

    with django_assert_max_num_queries(60):
        counts = upsert_papers(records)

    assert counts.created == Paper.objects.count() == 1200
