from __future__ import annotations

from dataclasses import replace

import pytest

from ranking.identifiers import (
    ArxivId,
    collapse_spaces,
    doi_id,
    normalise_doi,
    normalise_title,
    parse_arxiv_id,
    recover_float_arxiv_id,
    safe_url,
    title_id,
)
from ranking.sources.base import PaperRecord


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # gechhai-Topic_Discovery's README: pandas wrote 0704.0001..0704.2000 as floats
        ("704.0001", "0704.0001"),
        ("704.001", "0704.0010"),
        ("704.01", "0704.0100"),
        ("704.1", "0704.1000"),
        ("704.2", "0704.2000"),
        ("704.1998", "0704.1998"),
        ("912.5", "0912.5000"),
        ("1001.2", "1001.2000"),  # four digits until 1412
        ("1501.001", "1501.00100"),  # five from 1501
        ("2401.1234", None),  # an id as written (today's rule): not recovered on a guess
        ("1501.0001", None),  # 1501.00010 or a typo for 1501.00001: unsure
        ("704.12345", None),  # longer than 2007's numbers
        ("713.1", None),  # no month 13
        ("612.0001", None),  # before the first new-style id, 0704.0001
        ("704.10", None),  # a float never ends in 0: typed, not converted
        ("704.0", None),
        ("704", None),
        ("0704.0001", None),  # already whole
    ],
)
def test_it_recovers_a_float_mangled_arxiv_id_only_when_certain(
    text: str, expected: str | None
) -> None:
    assert recover_float_arxiv_id(text) == expected


def test_a_known_float_has_its_trailing_zeros_restored() -> None:
    assert recover_float_arxiv_id("1501.0001", was_float=True) == "1501.00010"
    assert recover_float_arxiv_id("2401.01234", was_float=True) == "2401.01234"


def test_collapse_spaces_keeps_words_apart_at_line_breaks_and_control_characters() -> None:
    text = " first\nsecond\r\nthird\u2028fourth\x85fifth\x00sixth\x1cseventh\t "
    assert collapse_spaces(text) == "first second third fourth fifth sixth seventh"


def test_a_doi_with_a_control_character_is_not_a_doi() -> None:
    assert normalise_doi("10.1000/abc\x00def") == ""


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


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/pdf/2104.12255v1",
        "http://arxiv.org/abs/1111.2011v2",
        "HTTPS://example.org:8443/paper?id=1#p2",
        "https://[2001:db8::1]/paper.pdf",
    ],
)
def test_web_urls_are_kept_as_they_are(url: str) -> None:
    assert safe_url(url) == url
    assert safe_url(f"  {url}\n") == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.org/paper.pdf",
        "//evil.example/paper.pdf",
        "/papers/2401.01234/",
        "arxiv.org/pdf/2401.01234",
        "https:///no-host",
        "https://exa mple.org/",
        "https://example.org/\x00",
        "http://[::1/",
        "",
    ],
)
def test_anything_but_an_absolute_web_url_is_dropped(url: str) -> None:
    assert safe_url(url) == ""


def test_a_record_keeps_everything_but_a_url_that_is_not_a_web_link() -> None:
    record = PaperRecord(
        canonical_id="2401.01234",
        title="T",
        abstract="A",
        abs_url="https://arxiv.org/abs/2401.01234",
        pdf_url="javascript:alert(1)",
    )
    assert (record.abs_url, record.pdf_url) == ("https://arxiv.org/abs/2401.01234", "")
    assert replace(record, abs_url="file:///etc/passwd").abs_url == ""
