from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ranking.identifiers import collapse_spaces
from ranking.models import IngestionRun, Paper
from ranking.services.ingestion import ingest_papers
from ranking.sources.base import PaperRecord, Skipped, SourceItem, Window
from ranking.sources.files import FileSource
from ranking.sources.rows import MAX_FIELD_CHARS

pytestmark = pytest.mark.django_db
FILES = Path(__file__).resolve().parents[2] / "ranking" / "fixtures" / "files"
DEMO = FILES.parent / "demo" / "trending-papers.txt"
REAL_EXPORTS = Path("/work/shared/data/arxiv-abstracts")


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


# Issue 18: real exports (see /work/shared/data/arxiv-abstracts/README.md) reproduced with
# invented text. Those CSVs carry no licence to copy, so each test writes a file of their shape.
KAGGLE = [
    "id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no",
    "categories", "license", "abstract", "versions", "update_date", "authors_parsed",
]  # fmt: skip
V1 = "[{'version': 'v1', 'created': 'Mon, 2 Apr 2007 19:18:42 GMT'}]"


def write_csv(path: Path, header: list[str], rows: list[list[str]], newline: str = "\n") -> Path:
    """As pandas' to_csv writes: minimal quoting, so quoted fields keep their raw line breaks."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def kaggle_row(paper_id: str, title: str, abstract: str, doi: str = "") -> list[str]:
    authors = "[['Streinu', 'Ileana', ''], ['Theran', 'Louis', '']]"
    return [
        paper_id, "Ileana Streinu", "Ileana Streinu and Louis Theran", title, "", "", doi, "",
        "math.CO cs.CG", "", abstract, V1, "12/13/2008", authors,
    ]  # fmt: skip


def items(path: Path) -> list[SourceItem]:
    return list(FileSource().fetch(Window(path=str(path))))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_line_breaks_inside_quoted_fields_become_spaces(tmp_path: Path, newline: str) -> None:
    title = "Pebble games and\n  sparse graphs"
    abstract = f"  We describe a new algorithm{newline}for sparse graphs.{newline}"
    path = write_csv(tmp_path / "k.csv", KAGGLE, [kaggle_row("704.0002", title, abstract)], newline)

    run = load(path)

    assert (run.status, run.created) == (IngestionRun.Status.SUCCEEDED, 1), run.errors
    paper = Paper.objects.get()
    assert paper.title == "Pebble games and sparse graphs"
    assert paper.abstract == "We describe a new algorithm for sparse graphs."


def test_jsonl_lines_end_only_at_a_line_feed(tmp_path: Path) -> None:
    # U+2028, U+0085 and \x1c are line ends to str.splitlines() but may sit raw in a JSON string.
    abstract = "First part\u2028second\x85third\x1cfourth."
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"title": "T", "abstract": abstract}, ensure_ascii=False) + "\r\n")

    run = load(path)

    assert (run.created, run.skipped) == (1, 0), run.errors
    assert Paper.objects.get().abstract == "First part second third fourth."


def test_a_page_abstract_holding_a_unicode_line_separator_stays_one_abstract(
    tmp_path: Path,
) -> None:
    path = tmp_path / "page.txt"
    path.write_text(
        "Get trending papers in your email inbox!\n\nSubscribe\n"
        "Title A\nAbstract A,\u2028continued.\nTitle B\nAbstract B.\n",
        encoding="utf-8",
    )

    run = load(path)

    assert (run.status, run.created) == (IngestionRun.Status.SUCCEEDED, 2), run.errors
    assert Paper.objects.get(title="Title A").abstract == "Abstract A, continued."


def test_a_csv_field_over_the_csv_modules_default_limit_is_read(tmp_path: Path) -> None:
    long_abstract = "word " * 40_000  # 200,000 characters; the csv module stops at 131,072
    path = write_csv(tmp_path / "long.csv", ["title", "abstract"], [["Long", long_abstract]])

    (record,) = items(path)

    assert isinstance(record, PaperRecord)
    assert record.abstract == long_abstract.strip()


def test_a_field_over_the_bound_skips_its_row_by_number_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    rows = [
        ["Before", "Fine.\nTwo lines."],
        ["Huge", "x" * (MAX_FIELD_CHARS + 1)],
        ["After", "Ok."],
    ]
    path = write_csv(tmp_path / "huge.csv", ["title", "abstract"], rows)

    run = load(path)

    assert (run.status, run.created, run.skipped) == (IngestionRun.Status.SUCCEEDED, 2, 1)
    assert "row 3 (line 4): field 'abstract' is longer than 1,000,000 characters" in run.errors
    assert set(Paper.objects.values_list("title", flat=True)) == {"Before", "After"}


@pytest.mark.parametrize(
    ("body", "where", "error"),
    [
        ('A,Fine.\nB,"Closed" then more\nC,Later.\n', "row 3 (line 3)", "',' expected after"),
        ('A,Fine.\nB,"Never closed\nC,Later.\n', "row 3 (line 3)", "unexpected end of data"),
    ],
)
def test_a_broken_quote_fails_the_file_naming_its_row_and_writes_nothing(
    tmp_path: Path, body: str, where: str, error: str
) -> None:
    # Past a broken quote every later field may be shifted (the unclosed one swallows the
    # rows after it into one abstract), so no row of the file is trusted.
    path = tmp_path / "x.csv"
    path.write_text("title,abstract\n" + body, encoding="utf-8")

    run = load(path)

    assert run.status == IngestionRun.Status.FAILED
    assert f"x.csv: {where}: not valid CSV ({error}" in run.errors
    assert not Paper.objects.exists()


def test_column_names_of_real_exports_are_read(tmp_path: Path) -> None:
    keras = write_csv(
        tmp_path / "keras.csv",
        ["titles", "summaries", "terms", "word_count", "unique_word_count"],
        [["Graph nets", "Graphs\nand nets.", "['cs.LG', 'cs.AI']", "3", "3"]],
    )
    queries = write_csv(
        tmp_path / "queries.csv",
        ["title", "summary", "category"],
        [["Diffusion", "Same text.", "cs.AI"], ["Diffusion", "Same text.", "cs.LG"]],
    )
    bom = tmp_path / "bom.csv"
    bom.write_text("Title,ABSTRACT,Arxiv-ID\nWith a BOM,Read.,2401.00009\n", encoding="utf-8-sig")

    runs = [load(keras), load(queries), load(bom)]

    assert [(r.created, r.skipped) for r in runs] == [(1, 0), (1, 0), (1, 0)], runs[0].errors
    assert Paper.objects.get(title="Graph nets").categories == ["cs.LG", "cs.AI"]
    # one paper found by two category queries: its categories are the set of both
    assert Paper.objects.get(title="Diffusion").categories == ["cs.AI", "cs.LG"]
    assert Paper.objects.get(title="With a BOM").canonical_id == "2401.00009"


def test_a_csv_without_a_title_or_abstract_column_fails_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "odd.csv", ["name", "text"], [["A", "B"]])

    run = load(path)

    assert run.status == IngestionRun.Status.FAILED
    assert "odd.csv: no title column" in run.errors
    assert not Paper.objects.exists()


def test_pandas_float_ids_are_recovered_where_certain(tmp_path: Path) -> None:
    ids = {
        "704.0001": "0704.0001",
        "704.001": "0704.0010",
        "704.01": "0704.0100",
        "704.2": "0704.2000",
    }
    rows = [kaggle_row(raw, f"Paper {raw}", "Text.", doi=f"10.1000/{raw}") for raw in ids]
    path = write_csv(tmp_path / "kaggle.csv", KAGGLE, rows)

    run = load(path)

    assert (run.created, run.skipped) == (4, 0), run.errors
    assert {p.title: p.canonical_id for p in Paper.objects.all()} == {
        f"Paper {raw}": arxiv_id for raw, arxiv_id in ids.items()
    }
    paper = Paper.objects.get(canonical_id="0704.0001")
    assert paper.authors == ["Ileana Streinu", "Louis Theran"]  # authors_parsed
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)  # versions' v1
    assert paper.categories == ["math.CO", "cs.CG"]


def test_a_json_number_id_is_recovered_as_the_float_it_is(tmp_path: Path) -> None:
    path = tmp_path / "floats.jsonl"
    path.write_text(
        '{"id": 704.001, "title": "Old", "abstract": "A."}\n'
        '{"id": 1501.0001, "title": "New", "abstract": "B."}\n'
    )

    load(path)

    assert dict(Paper.objects.values_list("title", "canonical_id")) == {
        "Old": "0704.0010",
        "New": "1501.00010",  # five-digit numbers since 1501: the float lost one zero
    }


def test_a_second_record_with_an_id_seen_in_the_file_is_skipped_naming_both_lines(
    tmp_path: Path,
) -> None:
    first = {"id": "2401.00001", "title": "A", "abstract": "First.", "categories": ["cs.LG"]}
    other = {**first, "abstract": "Another paper's text.", "categories": ["q-bio.GN"]}
    path = tmp_path / "dups.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [first, other, first]) + "\n")

    run = load(path)

    assert (run.created, run.skipped) == (1, 2)
    assert (
        "line 2 (2401.00001): duplicate of line 1 with a different title or abstract" in run.errors
    )
    assert "line 3 (2401.00001): duplicate of line 1\n" in run.errors + "\n"
    paper = Paper.objects.get()
    assert (paper.abstract, paper.categories) == ("First.", ["cs.LG"])  # nothing of line 2


def test_csv_duplicates_are_named_by_row(tmp_path: Path) -> None:
    rows = [["Same title", "One text."], ["Same title", "Another text."]]
    path = write_csv(tmp_path / "dups.csv", ["title", "abstract"], rows)

    run = load(path)

    assert (run.created, run.skipped) == (1, 1)
    assert "row 3 (title:" in run.errors
    assert "duplicate of row 2 with a different title or abstract" in run.errors


def test_values_that_cannot_be_stored_skip_their_row_and_never_raise(tmp_path: Path) -> None:
    header = ["title", "abstract", "published", "upvotes"]
    rows = [
        ["Big", "A.", "2024-01-02", "99999999999999999999"],
        ["Inf", "B.", "2024-01-02", "1e999"],
        ["Month", "C.", "2024-13-45", ""],
        ["Year", "D.", "20240-01-01", ""],
        ["Ancient", "E.", "0001-01-01", ""],
        ["Fine", "F.", "2024", "12.0"],
    ]
    path = write_csv(tmp_path / "values.csv", header, rows)

    got = items(path)

    reasons = [str(item) for item in got if isinstance(item, Skipped)]
    assert reasons == [
        "row 2: field 'upvotes' is over 2,147,483,647 (99999999999999999999)",
        "row 3: field 'upvotes' should be a whole number, got '1e999'",
        "row 4: field 'published' is not a date: '2024-13-45'",
        "row 5: field 'published' is not a date: '20240-01-01'",
        "row 6: field 'published' has an implausible year: '0001-01-01'",
    ]
    fine = got[-1]
    assert isinstance(fine, PaperRecord)
    assert (fine.published, fine.upvotes) == (datetime(2024, 1, 1, tzinfo=UTC), 12)


def test_a_bibtex_year_out_of_range_is_ignored_and_the_file_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "years.bib"
    path.write_text(
        "@article{typo, title={Typo year}, abstract={A.}, year={20240}, month={13}}\n"
        "@article{text, title={Text year}, abstract={B.}, year={in press}}\n"
        "@article{fine, title={Fine year}, abstract={C.}, year={2019}}\n",
        encoding="utf-8",
    )

    run = load(path)

    assert (run.status, run.created, run.skipped) == (IngestionRun.Status.SUCCEEDED, 3, 0)
    published = dict(Paper.objects.values_list("title", "published"))
    assert published == {
        "Typo year": None,
        "Text year": None,
        "Fine year": datetime(2019, 1, 1, tzinfo=UTC),
    }


def test_a_bad_file_fails_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"title": "A", "abstract": "B"}\n{"title": "Caf\xe9", "abstract": "C"}\n')

    run = load(path)

    assert run.status == IngestionRun.Status.FAILED
    assert "latin1.jsonl: cannot read (line 2 is not UTF-8" in run.errors
    assert not Paper.objects.exists()


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="the shared arXiv CSVs are not here")
@pytest.mark.parametrize(
    ("folder", "records", "skipped"),
    [
        ("gechhai-Topic_Discovery", 2000, 0),
        ("tiagoft-NLP", 993, 7),
        ("GuiBanzato-ProjetoCD", 800, 0),
    ],
)
def test_the_real_exports_parse_whole(folder: str, records: int, skipped: int) -> None:
    path = REAL_EXPORTS / folder / "arxiv_data.csv"
    raw = {
        collapse_spaces(row.get("abstract") or row.get("summary") or row.get("summaries") or "")
        for row in csv.DictReader(path.open(encoding="utf-8", newline=""))
    }

    got = items(path)

    papers = [item for item in got if isinstance(item, PaperRecord)]
    assert (len(papers), len(got) - len(papers)) == (records, skipped)
    assert all(paper.abstract in raw for paper in papers)  # line breaks became spaces
    assert all(paper.categories for paper in papers)


def test_an_affiliation_in_authors_parsed_is_not_part_of_the_name(tmp_path: Path) -> None:
    # The snapshot adds a fourth element, the affiliation, to some names (0704.1393 has a
    # 362-character one): the name alone is kept and the paper is not skipped.
    row = kaggle_row("704.1393", "A cluster", "Text.")
    row[-1] = "[['Lanzoni', 'B.', '', '1 Dip. Astro., Bologna; 2 INAF'], ['Sanna', 'N.', '']]"
    run = load(write_csv(tmp_path / "kaggle.csv", KAGGLE, [row]))

    assert (run.created, run.skipped) == (1, 0), run.errors
    assert Paper.objects.get().authors == ["B. Lanzoni", "N. Sanna"]
