"""Similar papers for the paper page: cosine over the ranking core's word tf-idf (`TermIndex`,
the term part of the LSA encoder), fitted on the newest papers of the catalogue.

The full LSA encoder (character n-grams + SVD) costs seconds even on the 217 demo papers, too
slow for a page request; its term index costs ~0.1 s per 1,000 papers. The fitted index lives
in the process for INDEX_SECONDS and each paper's answer in the Django cache, both keyed by a
fingerprint of the catalogue, so an ingestion run shows up within minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.core.cache import cache
from django.db.models import Count, Max

from ranking.core.encoders import TermIndex
from ranking.models import Paper
from ranking.services.trending import papers_in_order

MAX_INDEXED = 5000
INDEX_SECONDS = 3600
FINGERPRINT_SECONDS = 300
ANSWER_SECONDS = 86400
MIN_SIMILARITY = 0.05
_lock = threading.Lock()


@dataclass
class _Index:
    fingerprint: str
    built_at: float
    ids: list[int]
    terms: TermIndex
    matrix: sp.csr_matrix


_index: _Index | None = None


def paper_text(title: str, abstract: str) -> str:
    return f"{title}. {abstract}" if abstract else title


def catalogue_fingerprint() -> str:
    key = "ranking:similar:fingerprint"
    value = cache.get(key)
    if value is None:
        found = Paper.objects.aggregate(n=Count("pk"), changed=Max("last_changed"), top=Max("pk"))
        changed = found["changed"].isoformat() if found["changed"] else "-"
        value = f"{found['n']}:{found['top']}:{changed}"
        cache.set(key, value, FINGERPRINT_SECONDS)
    return str(value)


def similar_papers(paper: Paper, limit: int = 5) -> list[Paper]:
    fingerprint = catalogue_fingerprint()
    key = f"ranking:similar:{fingerprint}:{paper.pk}:{limit}"
    ids = cache.get(key)
    if ids is None:
        ids = similar_ids(paper, limit, fingerprint)
        cache.set(key, ids, ANSWER_SECONDS)
    return papers_in_order(ids)


def similar_ids(paper: Paper, limit: int, fingerprint: str) -> list[int]:
    index = _current_index(fingerprint)
    if index is None:
        return []
    vector = index.terms.transform([paper_text(paper.title, paper.abstract)])
    scores = np.asarray((index.matrix @ vector.T).todense()).ravel()
    order = np.argsort(-scores, kind="stable")
    found: list[int] = []
    for row in order[: limit + 1]:
        if index.ids[row] != paper.pk and scores[row] >= MIN_SIMILARITY:
            found.append(index.ids[row])
    return found[:limit]


def _current_index(fingerprint: str) -> _Index | None:
    global _index
    with _lock:
        fresh = _index is not None and time.monotonic() - _index.built_at < INDEX_SECONDS
        if _index is None or not fresh or _index.fingerprint != fingerprint:
            _index = _build_index(fingerprint)
        return _index


def _build_index(fingerprint: str) -> _Index | None:
    rows = list(
        Paper.objects.order_by("-first_seen", "-pk").values_list("pk", "title", "abstract")[
            :MAX_INDEXED
        ]
    )
    if len(rows) < 2:
        return None
    texts = [paper_text(title, abstract) for _, title, abstract in rows]
    try:
        terms = TermIndex().fit(texts)
    except ValueError:  # nothing but stop words: no vocabulary to compare by
        return None
    return _Index(
        fingerprint, time.monotonic(), [pk for pk, _, _ in rows], terms, terms.transform(texts)
    )
