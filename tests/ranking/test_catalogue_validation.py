"""validate_record: every field has a bound and a rule (skip the record, cut a list, or drop
an optional value), and the catalogue's write refuses anything not made storable."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import CharField
from django.utils import timezone

from ranking.models import Paper
from ranking.services import catalogue
from ranking.services.catalogue import upsert_papers, validate_record
from ranking.sources.base import PaperRecord

GOOD = PaperRecord(
    canonical_id="2401.00001",
    title="A good paper",
    abstract="It is fine.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    published=datetime(2024, 1, 2, tzinfo=UTC),
    doi="10.1000/good",
    abs_url="https://arxiv.org/abs/2401.00001",
    upvotes=3,
)


def skip_reason(**changes: object) -> str:
    checked = validate_record(replace(GOOD, **changes))  # type: ignore[arg-type]
    assert checked.record is None
    return checked.reason


def test_a_good_record_passes_unchanged() -> None:
    checked = validate_record(GOOD)

    assert checked.record is GOOD
    assert (checked.reason, checked.notes) == ("", ())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"abstract": "x" * 20_001}, "abstract is 20,001 characters, over the 20,000 limit"),
        ({"title": "t" * 100_000}, "title is 100,000 characters, over the 1,000 limit"),
        ({"canonical_id": "doi:10.1000/" + "d" * 200}, "canonical id is 212 characters, over the"),
        ({"authors": ("Ada", "a" * 301)}, "author 2 is 301 characters, over the 300 limit"),
        ({"categories": ("cs.LG", "c" * 33)}, "category 2 is 33 characters, over the 32 limit"),
        ({"title": " \x00 "}, "no title"),
        ({"canonical_id": "doi:10.1000/a\x00b"}, "canonical id holds NUL"),
    ],
)
def test_text_over_its_bound_skips_the_record(changes: dict[str, object], reason: str) -> None:
    assert skip_reason(**changes).startswith(reason)


def test_text_at_its_bound_is_kept() -> None:
    record = replace(GOOD, title="t" * 1_000, abstract="a" * 20_000, authors=("a" * 300,))

    assert validate_record(record).record is record


@pytest.mark.parametrize(
    ("changes", "kept", "note"),
    [
        (
            {"authors": tuple(f"Author {n}" for n in range(3_000))},
            {"authors": tuple(f"Author {n}" for n in range(1_000))},
            "authors truncated from 3,000 to the first 1,000",
        ),
        (
            {"categories": tuple(f"cs.X{n}" for n in range(25))},
            {"categories": tuple(f"cs.X{n}" for n in range(20))},
            "categories truncated from 25 to the first 20",
        ),
        ({"doi": "10.1000/" + "d" * 200}, {"doi": ""}, "doi dropped: 208 characters, over the 200"),
        (
            {"pdf_url": "https://example.org/" + "p" * 600},
            {"pdf_url": ""},
            "pdf_url dropped: 620 characters, over the 500 limit",
        ),
        ({"doi": "10.1000/a\ud800"}, {"doi": ""}, "doi dropped: it holds NUL or unpaired"),
        ({"upvotes": 2**31}, {"upvotes": None}, "upvotes dropped: 2,147,483,648 is outside 0.."),
        ({"comments": -1}, {"comments": None}, "comments dropped: -1 is outside 0..2,147,483,647"),
        ({"version": 0}, {"version": 1}, "version 0 is outside 1..1,000: stored as 1"),
        ({"version": 32_768}, {"version": 1}, "version 32,768 is outside 1..1,000: stored as 1"),
        (
            {"published": datetime(1066, 10, 14, tzinfo=UTC)},
            {"published": None},
            "published dropped: 1066-10-14 is outside 1900-01-01..",
        ),
        ({"trending_on": date(1, 1, 1)}, {"trending_on": None}, "trending_on dropped: 0001-01-01"),
        (
            {"title": "Tab\x00les", "authors": ("Ada\x00", "\x00")},
            {"title": "Tables", "authors": ("Ada",)},
            "NUL or unpaired surrogate characters removed from title",
        ),
    ],
)
def test_lists_are_cut_and_optional_values_dropped_with_a_note(
    changes: dict[str, object], kept: dict[str, object], note: str
) -> None:
    checked = validate_record(replace(GOOD, **changes))  # type: ignore[arg-type]

    assert checked.record == replace(GOOD, **kept)  # type: ignore[arg-type]
    assert checked.notes[0].startswith(note), checked.notes


def test_dates_up_to_two_days_ahead_are_kept_and_naive_ones_read_as_utc() -> None:
    now = timezone.now()
    soon, later = now + timedelta(days=1), now + timedelta(days=3)

    ahead = validate_record(replace(GOOD, published=soon, updated=later))
    naive = validate_record(replace(GOOD, published=datetime(2024, 1, 2)))  # noqa: DTZ001

    assert ahead.record is not None
    assert (ahead.record.published, ahead.record.updated) == (soon, None)
    assert naive.record == GOOD  # 2024-01-02 00:00 UTC
    assert naive.notes == ()


@pytest.mark.parametrize(
    ("bound", "field"),
    [
        ("MAX_ID", "canonical_id"),
        ("MAX_CATEGORY", "primary_category"),
        ("MAX_DOI", "doi"),
        ("MAX_URL", "abs_url"),
        ("MAX_URL", "pdf_url"),
    ],
)
def test_every_bound_fits_its_column(bound: str, field: str) -> None:
    column = Paper._meta.get_field(field)
    assert isinstance(column, CharField)
    assert column.max_length is not None
    assert getattr(catalogue, bound) <= column.max_length


@pytest.mark.django_db
def test_the_write_refuses_a_record_that_was_not_validated() -> None:
    with pytest.raises(ValueError, match=r"2401\.00001 is not storable as it is \(upvotes dropped"):
        upsert_papers([GOOD, replace(GOOD, upvotes=2**40)])

    assert not Paper.objects.exists()
