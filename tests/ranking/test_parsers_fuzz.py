"""Arbitrary input at every file and OAI parser (issue 18): no exception but SourceError escapes,
each input record comes back whole (a PaperRecord holding exactly its own fields, or a Skipped),
and text round-trips up to the documented normalisation (rows.py: every run of whitespace or
control characters is one space)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ranking.identifiers import collapse_spaces
from ranking.sources.base import PaperRecord, Skipped, SourceError, SourceItem, Window
from ranking.sources.files import FileSource, parse_bibtex, parse_csv, parse_jsonl, parse_page
from ranking.sources.oai import NS, OAI, parse_record
from ranking.sources.xml import parse_xml

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The characters that broke parsers: quotes, separators, every kind of line end, NUL, a BOM.
TRICKY = st.sampled_from(
    ['"', "'", ",", "\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x1c", "\x0b", "\x00",
     "\t", " ", "\\", "{", "}", "[", "]", "\ufeff", "é", "\U0001d538", "ﬁ"]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=6), TRICKY), max_size=10).map("".join)
NAME = TEXT.map(lambda text: text.replace(";", ""))  # ";" separates CSV authors
CODES = st.lists(st.sampled_from(["cs.LG", "cs.AI", "math.CO", "hep-th", "q-bio.GN"]), max_size=3)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2024, 12, 31))
UPVOTES = st.one_of(st.none(), st.integers(-3, 2**40))


def paper_fields(index: int, text: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "id": st.just(f"2401.{index:05d}"),
            "title": text,
            "abstract": text,
            "authors": st.lists(NAME, max_size=3),
            "categories": CODES,
            "upvotes": UPVOTES,
            "published": st.one_of(st.none(), DAYS),
        }
    )


PAPERS = st.integers(0, 6).flatmap(lambda n: st.tuples(*(paper_fields(i) for i in range(n))))


def expected(fields: dict[str, Any]) -> PaperRecord | None:
    """The record a row of these fields must give, or None if it must be skipped."""
    title, abstract = collapse_spaces(fields["title"]), collapse_spaces(fields["abstract"])
    texts = [fields["title"], fields["abstract"], *fields["authors"]]
    if any(_unpaired(text) for text in texts) or not title or not abstract:
        return None
    upvotes = fields["upvotes"]
    if upvotes is not None and not 0 <= upvotes <= 2_147_483_647:
        return None
    day = fields["published"]
    return PaperRecord(
        canonical_id=fields["id"],
        title=title,
        abstract=abstract,
        authors=tuple(a for a in map(collapse_spaces, fields["authors"]) if a),
        categories=tuple(fields["categories"]),
        published=datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None,
        upvotes=upvotes,
    )


def _unpaired(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def assert_round_trip(papers: tuple[dict, ...], got: list[SourceItem]) -> None:
    assert len(got) == len(papers)
    for fields, item in zip(papers, got, strict=True):
        want = expected(fields)
        if want is None:
            assert isinstance(item, Skipped), (fields, item)
        else:
            assert item == want, fields


@PROPERTY
@given(papers=PAPERS, ascii_only=st.booleans(), line_end=st.sampled_from(["\n", "\r\n"]))
def test_jsonl_records_come_back_whole(
    papers: tuple[dict, ...], ascii_only: bool, line_end: str
) -> None:
    rows = [{**p, "published": p["published"] and p["published"].isoformat()} for p in papers]
    text = "".join(json.dumps(row, ensure_ascii=ascii_only) + line_end for row in rows)

    assert_round_trip(papers, list(parse_jsonl(text, "file")))


@PROPERTY
@given(papers=PAPERS.filter(lambda ps: all(p["title"] for p in ps)))
def test_jsonl_unpaired_surrogates_skip_only_their_record(papers: tuple[dict, ...]) -> None:
    broken = tuple({**p, "title": p["title"] + "\ud800"} for p in papers[:1]) + papers[1:]
    rows = [{**p, "published": p["published"] and p["published"].isoformat()} for p in broken]
    text = "\n".join(json.dumps(row) for row in rows)

    assert_round_trip(broken, list(parse_jsonl(text, "file")))


HEADERS = st.sampled_from(
    [
        ["id", "title", "abstract", "authors", "categories", "upvotes", "published"],
        ["arXiv ID", "Titles", "SUMMARIES", "Author", "terms", "Upvotes", "date"],
    ]
)


@PROPERTY
@given(papers=PAPERS, header=HEADERS, line_end=st.sampled_from(["\n", "\r\n"]))
def test_csv_records_come_back_whole(
    papers: tuple[dict, ...], header: list[str], line_end: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    for p in papers:
        writer.writerow(
            [
                p["id"], p["title"], p["abstract"], "; ".join(p["authors"]),
                " ".join(p["categories"]), "" if p["upvotes"] is None else p["upvotes"],
                p["published"] or "",
            ]
        )  # fmt: skip

    assert_round_trip(papers, list(parse_csv(out.getvalue(), "file")))


@PROPERTY
@given(papers=st.lists(paper_fields(1).map(dict), max_size=6), pool=st.integers(1, 3))
def test_one_id_never_holds_two_texts(papers: list[dict], pool: int) -> None:
    for number, paper in enumerate(papers):
        paper["id"] = f"2401.{number % pool:05d}"
        paper["title"] = paper["title"] or "t"
    text = "\n".join(json.dumps({**p, "published": None}) for p in papers)

    records = [item for item in parse_jsonl(text, "file") if isinstance(item, PaperRecord)]

    texts: dict[str, tuple[str, str]] = {}
    for record in records:
        first = texts.setdefault(record.canonical_id, (record.title, record.abstract))
        assert (record.title, record.abstract) == first


FORMATS = st.sampled_from(
    [
        (".jsonl", b""),
        (".jsonl", b'{"title": "T", "abstract": "A"}\n'),
        (".csv", b""),
        (".csv", b"title,abstract,upvotes,published,terms\n"),
        (".bib", b"@article{k, "),
        (".bib", b"@article{k, title={T}, abstract={A}, "),
        (".txt", b"Get trending papers in your email inbox!\nSubscribe"),
    ]
)
CHUNKS = st.sampled_from(
    [b'"', b",", b"\n", b"\r", b"{", b"}", b"[", b"]", b"@", b"=", b"\\", b"\x00", b"\xff",
     b"\xe2\x80\xa8", b"\xef\xbb\xbf", b'"title":', b"1e999", b"2024-13-45", b"year={20240}"]
)  # fmt: skip
BYTES = st.lists(st.one_of(st.binary(max_size=12), CHUNKS), max_size=20).map(b"".join)


@PROPERTY
@given(kind=FORMATS, body=BYTES)
def test_any_bytes_give_records_skips_or_a_source_error(
    kind: tuple[str, bytes], body: bytes
) -> None:
    suffix, prefix = kind
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(prefix + body)
        try:
            got = list(FileSource().fetch(Window(path=str(path))))
        except SourceError:
            return

    for item in got:
        assert isinstance(item, PaperRecord | Skipped)
        if isinstance(item, PaperRecord):
            assert item.title == collapse_spaces(item.title) != ""
            assert item.abstract == collapse_spaces(item.abstract) != ""


# BibTeX text: braces must balance and "@", "%" or "\\" start syntax, so the text is drawn from
# what a field can hold as it is; line ends, U+2028 and tabs are in.
BIB_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_characters="{}@%\\\x00", exclude_categories=["Cs"]),
        st.sampled_from(["\n", "\u2028", "\t", " "]),
    ),
    max_size=40,
)
YEARS = st.one_of(st.integers(0, 30_000).map(str), st.sampled_from(["2024a", "in press", ""]))


@PROPERTY
@given(entries=st.lists(st.tuples(BIB_TEXT, BIB_TEXT, YEARS), max_size=5))
def test_bibtex_entries_come_back_whole(entries: list[tuple[str, str, str]]) -> None:
    # Numbered titles: two entries are never one paper by title.
    entries = [
        (f"T{n} {title}", abstract, year) for n, (title, abstract, year) in enumerate(entries)
    ]
    text = "\n".join(
        f"@article{{k{n},\n  title = {{{title}}},\n  abstract = {{{abstract}}},\n"
        f"  year = {{{year}}}\n}}\n"
        for n, (title, abstract, year) in enumerate(entries)
    )

    got = list(parse_bibtex(text, "file"))

    assert len(got) == len(entries)
    next_year = datetime.now(UTC).year + 1
    for (title, abstract, year), item in zip(entries, got, strict=True):
        if not collapse_spaces(abstract):
            assert isinstance(item, Skipped)
            continue
        assert isinstance(item, PaperRecord)
        assert (item.title, item.abstract) == (collapse_spaces(title), collapse_spaces(abstract))
        plausible = year.isdigit() and len(year) == 4 and 1900 <= int(year) <= next_year
        assert item.published == (datetime(int(year), 1, 1, tzinfo=UTC) if plausible else None)


PAGE_TEXT = TEXT.map(lambda text: text.replace("\n", " ").replace("\r", " "))


@PROPERTY
@given(pairs=st.lists(st.tuples(PAGE_TEXT, PAGE_TEXT), max_size=6))
def test_page_papers_come_back_whole(pairs: list[tuple[str, str]]) -> None:
    # A line that is blank once normalised is not a line of the format, so each has a word.
    papers = [(f"T{n} {title}", f"a {abstract}") for n, (title, abstract) in enumerate(pairs)]
    text = "Get trending papers in your email inbox!\n\n" + "".join(
        f"{title}\n{abstract}\n" for title, abstract in papers
    )

    got = list(parse_page(text, "file"))

    assert [(r.title, r.abstract) for r in got if isinstance(r, PaperRecord)] == [
        (collapse_spaces(t), collapse_spaces(a)) for t, a in papers
    ]


# What XML 1.0 can carry (no C0 controls but tab and line ends, no U+FFFE/U+FFFF), and what
# needs escaping in it.
XML_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]).filter(
            lambda ch: ch not in "\ufffe\uffff"
        ),
        st.sampled_from(["\n", "\r", "\t", "\u2028", "&", "<", "]]>", "&amp;"]),
    ),
    max_size=20,
).map("".join)


def oai_page(records: list[tuple[str, str, str]]) -> bytes:
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI})
    listing = etree.SubElement(root, f"{{{OAI}}}ListRecords")
    for identifier, title, abstract in records:
        record = etree.SubElement(listing, f"{{{OAI}}}record")
        header = etree.SubElement(record, f"{{{OAI}}}header")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = identifier
        dc = etree.SubElement(
            etree.SubElement(record, f"{{{OAI}}}metadata"), f"{{{NS['oai_dc']}}}dc"
        )
        etree.SubElement(dc, f"{{{NS['dc']}}}title").text = title
        etree.SubElement(dc, f"{{{NS['dc']}}}description").text = abstract
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@PROPERTY
@given(texts=st.lists(st.tuples(XML_TEXT, XML_TEXT), max_size=5))
def test_oai_records_come_back_whole(texts: list[tuple[str, str]]) -> None:
    records = [(f"oai:arXiv.org:2401.{n:05d}", t, a) for n, (t, a) in enumerate(texts)]

    root = parse_xml(oai_page(records))
    got = [parse_record(r) for r in root.iterfind("oai:ListRecords/oai:record", NS)]

    assert len(got) == len(records)
    for (_, title, abstract), item in zip(records, got, strict=True):
        # XML reads a raw CR as a line feed: a space either way once normalised
        want = (collapse_spaces(title), collapse_spaces(abstract))
        if not all(want) or want[1].startswith("Comment:"):
            assert isinstance(item, Skipped)
        else:
            assert isinstance(item, PaperRecord)
            assert (item.title, item.abstract) == want


@PROPERTY
@given(raw=BYTES)
def test_oai_bytes_in_a_record_give_a_record_a_skip_or_a_value_error(raw: bytes) -> None:
    page = oai_page([("oai:arXiv.org:2401.00001", "TITLE", "Text.")]).replace(b"TITLE", raw)
    try:
        root = parse_xml(page)
    except ValueError:
        return

    for record in root.iterfind("oai:ListRecords/oai:record", NS):
        assert isinstance(parse_record(record), PaperRecord | Skipped)
