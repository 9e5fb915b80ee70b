from __future__ import annotations

import pytest

from ranking.identifiers import (
    ArxivId,
    doi_id,
    normalise_title,
    parse_arxiv_id,
    title_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234v2", ArxivId("2401.01234", 2)),
        ("2401.01234", ArxivId("2401.01234", None)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("math.GT/0309136", ArxivId("math.GT/0309136", None)),
        ("math.gt/0309136v3", ArxivId("math.GT/0309136", 3)),
        ("solv-int/9901001", ArxivId("solv-int/9901001", None)),
        ("hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
        ("http://arxiv.org/abs/2104.12255v1", ArxivId("2104.12255", 1)),
        ("https://arxiv.org/pdf/2104.12255v1.pdf", ArxivId("2104.12255", 1)),
        ("https://arxiv.org/abs/quant-ph/0201082v1", ArxivId("quant-ph/0201082", 1)),
        ("oai:arXiv.org:nlin/0202021", ArxivId("nlin/0202021", None)),
        ("arXiv:2401.01234v12", ArxivId("2401.01234", 12)),
    ],
)
def test_it_parses_new_and_legacy_arxiv_ids(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["abc", "", "10.1000/xyz", "2401.123", "https://example.org/abs/2401.01234"]
)
def test_it_rejects_what_is_not_an_arxiv_id(text: str) -> None:
    assert parse_arxiv_id(text) is None


def test_dois_are_case_and_resolver_insensitive() -> None:
    assert doi_id("https://doi.org/10.1000/XYZ.123") == doi_id("doi:10.1000/xyz.123")


def test_latex_and_unicode_variants_of_a_title_match() -> None:
    variants = [
        "On {$\\alpha$}-stable {L}\\'evy flights",
        "On $\\alpha$-stable Lévy   flights",
        "ON \\alpha-STABLE LEVY FLIGHTS",
    ]
    assert len({normalise_title(v) for v in variants}) == 1
    assert len({title_id(v) for v in variants}) == 1
    assert normalise_title("Eﬃcient ﬁne-tuning") == "efficient fine tuning"
