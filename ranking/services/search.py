"""Search over titles and abstracts: full-text search on PostgreSQL, a bounded `icontains`
fallback elsewhere (SQLite). Queries are length-bounded and results capped, so no search can
turn into an unbounded scan of the answer."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from ranking.models import Paper

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_RESULTS = 200
CACHE_SECONDS = 300
# Same expression as the GIN index of migration 0004, so PostgreSQL can use the index.
PG_DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, ''))"
)
_WORDS = re.compile(r"[\w][\w.+-]*", re.UNICODE)


class SearchQueryError(ValueError):
    """The query cannot be run; the message is safe to show."""


@dataclass(frozen=True)
class CleanQuery:
    text: str
    terms: list[str]


def clean_query(raw: str) -> CleanQuery:
    """Control characters dropped, spaces collapsed; too long a query is an error."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in raw)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"Searches are limited to {MAX_QUERY_CHARS} characters.")
    terms = [t.strip(".+-") for t in _WORDS.findall(text)]
    return CleanQuery(text=text, terms=[t for t in terms if t][:MAX_TERMS])


def search_papers(query: CleanQuery) -> list[int]:
    """Ids of matching papers, newest first, at most MAX_RESULTS; cached for a few minutes
    (paging through results, or many people searching a common word, costs one query)."""
    if not query.terms:
        return []
    digest = hashlib.sha256("\x1f".join(query.terms).casefold().encode()).hexdigest()[:32]
    key = f"ranking:search:v1:{digest}"
    ids = cache.get(key)
    if ids is None:
        papers = _postgres(query) if connection.vendor == "postgresql" else _fallback(query)
        ordered = papers.order_by("-first_seen", "-pk").values_list("pk", flat=True)
        ids = list(ordered[:MAX_RESULTS])
        cache.set(key, ids, CACHE_SECONDS)
    return list(ids)


def _postgres(query: CleanQuery) -> QuerySet[Paper]:
    # websearch_to_tsquery never fails on user syntax; the text is a bound parameter.
    match = RawSQL(  # noqa: S611
        f"{PG_DOCUMENT} @@ websearch_to_tsquery('english'::regconfig, %s)",
        (" ".join(query.terms),),
        output_field=BooleanField(),
    )
    return Paper.objects.annotate(matches=match).filter(matches=True)


def _fallback(query: CleanQuery) -> QuerySet[Paper]:
    condition = Q()
    for term in query.terms:
        condition &= Q(title__icontains=term) | Q(abstract__icontains=term)
    return Paper.objects.filter(condition)
