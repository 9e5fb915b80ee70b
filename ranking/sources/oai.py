"""arXiv OAI-PMH ListRecords with resumption-token paging (oai_dc or arXiv metadata)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from ranking.identifiers import collapse_spaces, normalise_doi, parse_arxiv_id
from ranking.sources.base import PaperRecord, Skipped, SourceError, SourceItem, Window, missing_text
from ranking.sources.http import HttpPolicy, PoliteSession
from ranking.sources.xml import entity_references, expect_root, parse_xml, text_content

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {
    "oai": OAI,
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "ax": "http://arxiv.org/OAI/arXiv/",
}
SOURCE_NAME = "arxiv-oai"
FIRST_YEAR = 1900


class OaiSource:
    name = "oai"

    def __init__(
        self,
        base_url: str,
        policy: HttpPolicy,
        before_request: Callable[[], object] | None = None,
        metadata_prefix: str = "oai_dc",
        on_page: Callable[[int, str], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.metadata_prefix = metadata_prefix
        self.on_page = on_page
        self.session = PoliteSession(
            "arXiv OAI-PMH", policy, before_request, validate=expect_root(OAI, "OAI-PMH")
        )

    def fetch(self, window: Window) -> Iterator[SourceItem]:
        params = self._first_params(window)
        page = 0
        while params:
            root = self._get(params)
            page += 1
            list_records = root.find("oai:ListRecords", NS)
            if list_records is None:
                return  # noRecordsMatch: an empty window (checked in _get)
            for record in list_records.iterfind("oai:record", NS):
                yield parse_record(record)
            token = _resumption_token(list_records)
            if self.on_page is not None:
                self.on_page(page, token.strip())
            params = {"verb": "ListRecords", "resumptionToken": token.strip()} if token else {}

    def _first_params(self, window: Window) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if window.since:
            params["from"] = window.since.isoformat()
        if window.until:
            params["until"] = window.until.isoformat()
        if window.categories:
            # OAI sets are archives ("cs", "physics:hep-th"); one set per harvest.
            params["set"] = window.categories[0]
        return params

    def _get(self, params: dict[str, str]) -> Any:
        response = self.session.get(self.base_url, params=params)
        if not response.ok:
            raise SourceError(f"arXiv OAI-PMH answered HTTP {response.status_code}")
        root = parse_xml(response.content)
        error = root.find("oai:error", NS)
        if error is not None:
            code = error.get("code", "")
            if code == "noRecordsMatch":
                return root
            hint = (
                " (the token expired: re-run the window from its start; stored papers are kept)"
                if code == "badResumptionToken"
                else ""
            )
            raise SourceError(f"arXiv OAI-PMH error {code}: {(error.text or '').strip()}{hint}")
        return root


def _resumption_token(list_records: Any) -> str:
    element = list_records.find("oai:resumptionToken", NS)
    if element is not None and entity_references(element):
        raise SourceError("arXiv OAI-PMH resumption token holds an XML entity reference")
    return text_content(element)


def parse_record(record: Any) -> SourceItem:
    header = record.find("oai:header", NS)
    if header is None:
        return Skipped("record", "no OAI header")
    identifier = _text(header, "oai:identifier").strip()
    entities = entity_references(record)
    if entities:
        # Unexpanded, an entity drops its text and whatever follows it in .text: refuse the
        # record rather than store a title or abstract cut short.
        refs = ", ".join(sorted(set(entities)))[:200]
        return Skipped(identifier or "record", f"holds XML entity references ({refs}); not stored")
    if header.get("status") == "deleted":
        return Skipped(identifier, "deleted upstream")
    parsed = parse_arxiv_id(identifier)
    if parsed is None:
        return Skipped(identifier or "record", "no arXiv identifier")
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    if dc is not None:
        fields = _dc_fields(dc, header)
    else:
        ax = record.find("oai:metadata/ax:arXiv", NS)
        if ax is None:
            return Skipped(identifier, "no oai_dc or arXiv metadata")
        fields = _arxiv_fields(ax)
    reason = missing_text(fields["title"], fields["abstract"])
    if reason:
        return Skipped(parsed.base, reason)
    return PaperRecord(
        canonical_id=parsed.base,
        abs_url=f"https://arxiv.org/abs/{parsed.base}",
        pdf_url=f"https://arxiv.org/pdf/{parsed.base}",
        source=SOURCE_NAME,
        **fields,
    )


def _dc_fields(dc: Any, header: Any) -> dict[str, Any]:
    descriptions = [text_content(d) for d in dc.iterfind("dc:description", NS)]
    abstracts = [d for d in descriptions if not d.lstrip().startswith("Comment:")]
    dates = [_date(text_content(d)) for d in dc.iterfind("dc:date", NS)]
    known = [d for d in dates if d is not None]
    identifiers = (normalise_doi(text_content(i)) for i in dc.iterfind("dc:identifier", NS))
    doi = next((doi for doi in identifiers if doi), "")
    # oai_dc names subjects in words; the set ("cs", "physics:hep-th") gives the archive code.
    archive = collapse_spaces(_text(header, "oai:setSpec")).split(":")[-1]
    return {
        "title": collapse_spaces(_text(dc, "dc:title")),
        "abstract": collapse_spaces(abstracts[0]) if abstracts else "",
        "authors": tuple(_first_last(text_content(c)) for c in dc.iterfind("dc:creator", NS)),
        "categories": (archive,) if archive else (),
        "version": max(1, len(dates)),
        "published": known[0] if known else None,
        "updated": known[-1] if len(known) > 1 else None,
        "doi": doi,
    }


def _arxiv_fields(ax: Any) -> dict[str, Any]:
    authors = []
    for author in ax.iterfind("ax:authors/ax:author", NS):
        names = [_text(author, f"ax:{part}") for part in ("forenames", "keyname", "suffix")]
        authors.append(collapse_spaces(" ".join(names)))
    return {
        "title": collapse_spaces(_text(ax, "ax:title")),
        "abstract": collapse_spaces(_text(ax, "ax:abstract")),
        "authors": tuple(a for a in authors if a),
        "categories": tuple(collapse_spaces(_text(ax, "ax:categories")).split()),
        "published": _date(_text(ax, "ax:created")),
        "updated": _date(_text(ax, "ax:updated")),
        "doi": normalise_doi(_text(ax, "ax:doi")),
    }


def _text(parent: Any, path: str) -> str:
    return text_content(parent.find(path, NS))


def _first_last(creator: str) -> str:
    """oai_dc writes "Last, First"; the catalogue shows "First Last"."""
    last, comma, first = creator.partition(",")
    return collapse_spaces(f"{first} {last}" if comma else creator)


def _date(text: str) -> datetime | None:
    """The day, or None: a date that is not one, or a year no paper has (a typo such as 20240
    or 0001 would also break showing it in a time zone west of UTC)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    if not FIRST_YEAR <= day.year <= datetime.now(UTC).year + 1:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
