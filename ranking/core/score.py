"""Scores of a chunk of subscribers against tonight's papers: one dense product for every interest,
calibration, pseudo-relevance feedback, the best interest per paper, then the adjustments
(trending prior, negative keywords, followed authors, categories, papers never to return).

Everything here works on whole (subscribers x papers) arrays; nothing loops per recommendation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from ranking.core.space import PaperSpace, category_onehot
from ranking.core.subscriber import InterestModel, SubscriberModel
from ranking.core.types import RankSettings

AUTHOR_BONUS = 5.0  # calibrated units: a followed author's paper clears any sensible floor
CATEGORY_BONUS = 0.5
EXCLUDED = -1e9


class Tonight:
    """What every chunk needs about tonight's papers, computed once a night."""

    def __init__(
        self,
        candidates: PaperSpace,
        settings: RankSettings,
        background: np.ndarray | None = None,
    ) -> None:
        self.c = candidates
        self.settings = settings
        # Vectors of typical catalogue papers: tonight's feedback scores are standardised
        # against them, so a thin night's best paper is not promoted for being tonight's best.
        self.background = candidates.vectors if background is None else background
        self.index = candidates.index
        self.terms_t = sp.csr_matrix(candidates.terms.T)
        self.presence_t = sp.csr_matrix((candidates.terms > 0).astype(np.float32).T)
        top = float(np.log1p(candidates.trending.max())) if len(candidates) else 0.0
        self.trending = (
            settings.trending_weight * np.log1p(candidates.trending) / top
            if top > 0
            else np.zeros(len(candidates), np.float32)
        ).astype(np.float32)
        self.twins = near_duplicates(candidates.vectors, settings.duplicate_similarity)
        self.category_index, onehot = category_onehot(candidates.categories)
        self.categories_t = sp.csr_matrix(onehot.T)


def near_duplicates(vectors: np.ndarray, limit: float, block: int = 2048) -> dict[int, list[int]]:
    """Pairs of tonight's papers that are the same work (cosine >= limit), found once a night."""
    twins: dict[int, list[int]] = {}
    for start in range(0, len(vectors), block):
        sim = vectors[start : start + block] @ vectors.T
        for a, b in zip(*np.nonzero(sim >= limit), strict=True):
            if start + a != b:
                twins.setdefault(int(start + a), []).append(int(b))
    return twins


def interest_scores(
    models: Sequence[SubscriberModel], interests: Sequence[InterestModel], t: Tonight
) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated score of each subscriber's best interest per paper, and which interest it was
    (the interest's position within its subscriber's model)."""
    n = len(t.c)
    if not models:
        return np.zeros((0, n), np.float32), np.zeros((0, n), np.int32)
    W = np.vstack([i.weights for i in interests]).astype(np.float32, copy=False)
    S = W @ t.c.vectors.T
    T = term_matrix(interests, t.c.terms.shape[1], scaled=True)
    if T.nnz:
        S += (T @ t.terms_t).toarray()
    C = category_matrix(interests, t.category_index)
    if C.nnz:
        S += (C @ t.categories_t).toarray()
    mu = np.array([i.mu for i in interests], np.float32)
    sigma = np.array([i.sigma for i in interests], np.float32)
    S -= mu[:, None]
    S /= sigma[:, None]
    S = _feedback(S, np.array([i.kind != "liked" for i in interests]), t)
    # Rows of one subscriber are contiguous: group subscribers by their number of interests and
    # keep a running max / argmax over each group's k-th interests.
    sizes = np.array([len(m.interests) for m in models])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    scores = np.empty((len(models), n), np.float32)
    best = np.zeros((len(models), n), np.int32)
    for size in np.unique(sizes).tolist():
        subs = np.flatnonzero(sizes == size)
        top = scores[subs] = S[starts[subs]]
        if size == 1:
            continue
        mine = best[subs]
        for k in range(1, size):
            # Strictly greater: on a tie the first interest keeps the paper, as argmax would.
            other = S[starts[subs] + k]
            better = other > top
            np.copyto(top, other, where=better)
            mine[better] = k
        scores[subs], best[subs] = top, mine
    return scores, best


def _feedback(S: np.ndarray, rows: np.ndarray, t: Tonight) -> np.ndarray:
    """Pseudo-relevance feedback over tonight's papers for interests given as words: each one's
    clear hits (up to `feedback_papers` of tonight's best that already clear
    `feedback_min_score`) become a second query, so papers like them rise even when they share
    no word with the keywords. A night without a clear hit adds nothing: feedback amplifies
    evidence, it does not invent it. The second query's score is standardised against typical
    catalogue papers and averaged with the first, so the result stays in the same units as
    interests scored without it (liked papers: they do not need it, measured: no gain) and one
    floor means the same for both."""
    s = t.settings
    m = min(s.feedback_papers, S.shape[1])
    if s.feedback_weight <= 0 or not rows.any() or not m:
        return S
    sub = S[rows]
    top = np.argpartition(-sub, m - 1, axis=1)[:, :m]
    hit = (np.take_along_axis(sub, top, 1) >= s.feedback_min_score).astype(np.float32)
    count = hit.sum(axis=1)
    keep = count > 0
    if not keep.any():
        return S
    vectors = t.c.vectors
    Q = np.einsum("rk,rkd->rd", hit[keep], vectors[top[keep]]) / count[keep, None]
    B = Q @ t.background.T
    mean, std = B.mean(axis=1, keepdims=True), B.std(axis=1, keepdims=True)
    F = Q @ vectors.T
    # In place, on (interests x papers) arrays: (sub + w * (F - mean) / std) / (1 + w) without
    # four temporaries of that size.
    F -= mean
    F /= std + 1e-6
    w = s.feedback_weight
    if w != 1:
        F *= w
    F += sub[keep]
    F /= 1 + w
    sub[keep] = F
    S[rows] = sub
    return S


def category_matrix(interests: Sequence[InterestModel], index: Mapping[str, int]) -> sp.csr_matrix:
    """The interests' category weights as rows over tonight's categories (others dropped)."""
    rows, cols, vals = [], [], []
    for r, i in enumerate(interests):
        for c, v in i.category_weights.items():
            k = index.get(c)
            if k is not None:
                rows.append(r)
                cols.append(k)
                vals.append(v)
    return sp.csr_matrix(
        (np.array(vals, np.float32), (rows, cols)), shape=(len(interests), len(index))
    )


def term_matrix(interests: Sequence[InterestModel], size: int, scaled: bool) -> sp.csr_matrix:
    """The interests' weighted words as rows; `scaled` applies each one's exact-term scale (and
    leaves out interests that do not score by exact terms)."""
    ids, vals, counts = [], [], []
    for i in interests:
        if scaled and not i.term_scale:
            counts.append(0)
            continue
        ids.append(i.term_ids)
        vals.append(i.term_weights * i.term_scale if scaled else i.term_weights)
        counts.append(len(i.term_ids))
    indptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    if not ids or not indptr[-1]:
        return sp.csr_matrix((len(interests), size), dtype=np.float32 if scaled else np.float64)
    data = np.concatenate(vals).astype(np.float32 if scaled else np.float64)
    M = sp.csr_matrix((data, np.concatenate(ids), indptr), shape=(len(interests), size))
    M.sum_duplicates()
    return M


def adjust(
    models: Sequence[SubscriberModel],
    scores: np.ndarray,
    t: Tonight,
    exclude: Mapping[str, Sequence[str]],
) -> None:
    if not len(models):
        return
    scores += t.trending[None, :]
    neg = [(r, k) for r, m in enumerate(models) for k in m.negative_terms]
    if neg:
        N = sp.csr_matrix(
            (np.ones(len(neg), np.float32), ([r for r, _ in neg], [k for _, k in neg])),
            shape=(len(models), t.c.terms.shape[1]),
        )
        hit = (N @ t.presence_t).toarray() > 0
        scores[hit] = EXCLUDED
    if any(m.authors for m in models):
        scores += AUTHOR_BONUS * members([m.authors for m in models], t.c.authors)
    if any(m.categories for m in models):
        scores += CATEGORY_BONUS * members([m.categories for m in models], t.c.categories)
    index = t.index
    rows, cols = [], []
    for r, m in enumerate(models):
        for pid in (*m.excluded_ids, *exclude.get(m.profile_id, ())):
            j = index.get(pid)
            if j is not None:
                rows.append(r)
                cols.append(j)
    scores[rows, cols] = EXCLUDED


def members(wanted: Sequence[frozenset[str]], have: Sequence[frozenset[str]]) -> np.ndarray:
    """1.0 where a subscriber's set (authors, categories) meets a paper's, as one sparse product."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, ws in enumerate(wanted):
        for w in ws:
            rows.append(r)
            cols.append(vocab.setdefault(w, len(vocab)))
    if not rows:
        return np.zeros((len(wanted), len(have)), np.float32)
    prow, pcol = [], []
    for j, hs in enumerate(have):
        for h in hs:
            if h in vocab:
                prow.append(vocab[h])
                pcol.append(j)
    A = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(wanted), len(vocab))
    )
    B = sp.csr_matrix((np.ones(len(prow), np.float32), (prow, pcol)), shape=(len(vocab), len(have)))
    return ((A @ B).toarray() > 0).astype(np.float32)
