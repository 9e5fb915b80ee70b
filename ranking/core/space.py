"""Papers encoded once: dense vectors for the models, word tf-idf for keywords and explanations."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ranking.core.encoders import Encoder, TermIndex
from ranking.core.types import Paper


def normalise_name(name: str) -> str:
    """'Ada Lovelace', 'Lovelace, Ada' and 'A. Lovelace' all become 'a lovelace'."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    if "," in s:
        surname, _, given = s.partition(",")
        s = f"{given} {surname}"
    parts = re.findall(r"[a-z][a-z'-]*", s)
    if not parts:
        return ""
    return f"{parts[0][0]} {parts[-1]}" if len(parts) > 1 else parts[0]


@dataclass
class PaperSpace:
    """A set of encoded papers: the catalogue used for fitting, or tonight's candidates."""

    ids: list[str]
    vectors: np.ndarray  # (n, dim) float32, rows L2-normalised
    terms: sp.csr_matrix  # (n, vocabulary) word tf-idf
    titles: list[str]
    categories: list[frozenset[str]]
    authors: list[frozenset[str]]
    trending: np.ndarray  # (n,) float32
    fingerprint: str
    vocabulary: np.ndarray  # the term index's words, shared, for explanations

    def __post_init__(self) -> None:
        self.index = {pid: i for i, pid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids: Iterable[str]) -> tuple[list[int], int]:
        """Row numbers of the ids this space knows, and how many it did not know."""
        known, unknown = [], 0
        for pid in ids:
            i = self.index.get(pid)
            if i is None:
                unknown += 1
            else:
                known.append(i)
        return known, unknown

    def subset(self, rows: Sequence[int]) -> PaperSpace:
        r = list(rows)
        return PaperSpace(
            ids=[self.ids[i] for i in r],
            vectors=self.vectors[r],
            terms=self.terms[r],
            titles=[self.titles[i] for i in r],
            categories=[self.categories[i] for i in r],
            authors=[self.authors[i] for i in r],
            trending=self.trending[r],
            fingerprint=self.fingerprint,
            vocabulary=self.vocabulary,
        )


def category_onehot(categories: Sequence[frozenset[str]]) -> tuple[dict[str, int], sp.csr_matrix]:
    """Papers' subject categories as a (papers x categories) 0/1 matrix, and each category's
    column."""
    index: dict[str, int] = {}
    rows, cols = [], []
    for j, cats in enumerate(categories):
        for c in cats:
            rows.append(j)
            cols.append(index.setdefault(c, len(index)))
    onehot = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(categories), len(index))
    )
    return index, onehot


def encode_papers(
    papers: Sequence[Paper],
    encoder: Encoder,
    term_index: TermIndex,
    vectors: np.ndarray | None = None,
) -> PaperSpace:
    """Encode papers once (the expensive step); `vectors` reuses stored encodings."""
    texts = [p.text for p in papers]
    if vectors is None:
        vectors = encoder.encode(texts)
    return PaperSpace(
        ids=[p.id for p in papers],
        vectors=np.asarray(vectors, dtype=np.float32).reshape(len(papers), encoder.dim),
        terms=term_index.transform(texts) if texts else sp.csr_matrix((0, term_index.size)),
        titles=[p.title for p in papers],
        categories=[frozenset(c.strip() for c in p.categories) for p in papers],
        authors=[frozenset(filter(None, map(normalise_name, p.authors))) for p in papers],
        trending=np.array([max(0, p.trending) for p in papers], dtype=np.float32),
        fingerprint=encoder.fingerprint(),
        vocabulary=term_index.terms,
    )
