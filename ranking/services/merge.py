"""How a record folds into a paper, and how a batch finds the paper a record belongs to.

No queries here: the catalogue service loads candidates, this module decides in memory.
"""

from __future__ import annotations

from ranking.identifiers import doi_id, id_rank, title_key
from ranking.models import Paper
from ranking.sources.base import PaperRecord

SNAPSHOT_FIELDS = (
    "canonical_id", "version", "title", "abstract", "authors", "categories", "primary_category",
    "published", "updated", "abs_url", "pdf_url", "doi", "sources", "upvotes", "comments",
    "trending_on",
)  # fmt: skip


class PaperIndex:
    """Papers by canonical id, DOI and title key, for the records of one batch."""

    def __init__(self, papers: list[Paper]) -> None:
        self.by_id: dict[str, Paper] = {}
        self.by_doi: dict[str, list[Paper]] = {}
        self.by_title: dict[str, list[Paper]] = {}
        for paper in papers:
            self.add(paper)

    def add(self, paper: Paper) -> None:
        self.by_id[paper.canonical_id] = paper
        if paper.doi:
            self.by_doi.setdefault(paper.doi, []).append(paper)
        self.by_title.setdefault(paper.title_key, []).append(paper)

    def rekey(self, paper: Paper, old_id: str) -> None:
        if old_id != paper.canonical_id:
            self.by_id.pop(old_id, None)
            self.by_id[paper.canonical_id] = paper
        if paper.doi and paper not in self.by_doi.get(paper.doi, []):
            self.by_doi.setdefault(paper.doi, []).append(paper)
        if paper not in self.by_title.get(paper.title_key, []):
            self.by_title.setdefault(paper.title_key, []).append(paper)

    def find(self, record: PaperRecord) -> Paper | None:
        paper = self.by_id.get(record.canonical_id)
        if paper is not None:
            return paper
        if record.doi:
            paper = self.by_id.get(doi_id(record.doi))
            if paper is not None:
                return paper
        # A DOI or title match merges only where one side lacks an arXiv id: two different
        # arXiv ids are two papers, even with one title.
        weak_record = id_rank(record.canonical_id) < 2
        candidates = [*self.by_doi.get(record.doi, [])] if record.doi else []
        candidates += self.by_title.get(title_key(record.title), [])
        for candidate in candidates:
            if weak_record or id_rank(candidate.canonical_id) < 2:
                return candidate
        return None


def new_paper(record: PaperRecord) -> Paper:
    paper = Paper(
        canonical_id=record.canonical_id,
        title_key=title_key(record.title),
        version=record.version,
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        categories=list(record.categories),
        primary_category=record.categories[0] if record.categories else "",
        published=record.published,
        updated=record.updated,
        abs_url=record.abs_url,
        pdf_url=record.pdf_url,
        doi=record.doi,
        sources=[record.source],
        upvotes=record.upvotes,
        comments=record.comments,
        trending_on=record.trending_on,
    )
    return paper


def merge_record(paper: Paper, record: PaperRecord) -> bool:
    """Fold a record into a paper; return whether anything changed. Never touches first_seen."""
    before = _snapshot(paper)
    stronger = id_rank(record.canonical_id) > id_rank(paper.canonical_id)
    if stronger:
        paper.canonical_id = record.canonical_id
        paper.abs_url = record.abs_url or paper.abs_url
        paper.pdf_url = record.pdf_url or paper.pdf_url
    if stronger or _is_newer(paper, record):
        paper.version = record.version if stronger else max(paper.version, record.version)
        paper.title = record.title or paper.title
        paper.abstract = record.abstract or paper.abstract
        paper.authors = list(record.authors) or paper.authors
    else:
        paper.abstract = paper.abstract or record.abstract
        paper.authors = paper.authors or list(record.authors)
    paper.title_key = title_key(paper.title)
    paper.categories = merge_categories(paper.categories, list(record.categories))
    paper.primary_category = paper.categories[0] if paper.categories else ""
    paper.published = min((d for d in (paper.published, record.published) if d), default=None)
    paper.updated = max((d for d in (paper.updated, record.updated) if d), default=None)
    paper.abs_url = paper.abs_url or record.abs_url
    paper.pdf_url = paper.pdf_url or record.pdf_url
    paper.doi = paper.doi or record.doi
    if record.source not in paper.sources:
        paper.sources = [*paper.sources, record.source]
    _merge_popularity(paper, record)
    return _snapshot(paper) != before


def merge_categories(old: list[str], new: list[str]) -> list[str]:
    """Union in order (the first known primary stays first); an archive code ("cs") from OAI
    gives way to a finer category of that archive ("cs.LG")."""
    merged = list(old)
    merged += [c for c in new if c not in merged]
    return [c for c in merged if "." in c or not any(o.startswith(c + ".") for o in merged)]


def _is_newer(paper: Paper, record: PaperRecord) -> bool:
    if id_rank(record.canonical_id) < id_rank(paper.canonical_id):
        return False
    if record.version != paper.version:
        return record.version > paper.version
    return record.updated is not None and (paper.updated is None or record.updated > paper.updated)


def _merge_popularity(paper: Paper, record: PaperRecord) -> None:
    if record.upvotes is None:
        return
    if paper.trending_on and record.trending_on and record.trending_on < paper.trending_on:
        return
    paper.upvotes, paper.comments = record.upvotes, record.comments
    paper.trending_on = record.trending_on or paper.trending_on


def _snapshot(paper: Paper) -> tuple[object, ...]:
    return tuple(getattr(paper, name) for name in SNAPSHOT_FIELDS)
