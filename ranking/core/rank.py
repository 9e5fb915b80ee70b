"""Nightly ranking: every subscriber's interests against tonight's papers as one chunked product.

Per chunk of subscribers: dense scores (interests x dim) @ (dim x papers), exact-term scores
(interests x vocabulary, sparse) @ (vocabulary x papers), calibration, the best interest per
paper, then the adjustments (followed authors, categories, trending prior, negative keywords,
papers never to return), top candidates by `argpartition`, and last, per subscriber, the digest
itself: a floor, a share for each interest, near-duplicates collapsed, an explanation each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ranking.core.explain import Explainer
from ranking.core.space import PaperSpace
from ranking.core.subscriber import InterestModel, SubscriberModel
from ranking.core.types import RankSettings, Recommendation

AUTHOR_BONUS = 5.0  # calibrated units: a followed author's paper clears any sensible floor
CATEGORY_BONUS = 0.5
EXCLUDED = -1e9


class StaleModel(ValueError):
    """The model was fitted against another encoder or vocabulary: refit it."""


@dataclass
class RankResult:
    profile_id: str
    recommendations: list[Recommendation]
    reason: str = ""  # why the list is empty, when it is


def rank(
    model: SubscriberModel,
    candidates: PaperSpace,
    settings: RankSettings | None = None,
    exclude: Sequence[str] = (),
    catalogue: PaperSpace | None = None,
) -> RankResult:
    """One subscriber: the same code path as `rank_many`, so previews match the digest."""
    return next(rank_many([model], candidates, settings, {model.profile_id: exclude}, catalogue))


def rank_many(
    models: Sequence[SubscriberModel],
    candidates: PaperSpace,
    settings: RankSettings | None = None,
    exclude: Mapping[str, Sequence[str]] | None = None,
    catalogue: PaperSpace | None = None,
) -> Iterator[RankResult]:
    """Rank tonight's candidates for each model; yields one result per model, in order.

    `exclude` maps a profile id to papers already sent (only those among the candidates
    matter); `catalogue` lets explanations name the liked paper a recommendation resembles.
    """
    settings = settings or RankSettings()
    exclude = exclude or {}
    explainer = Explainer(candidates, catalogue)
    ctx = _Context(candidates, settings)
    for start in range(0, len(models), settings.chunk_rows):
        chunk = models[start : start + settings.chunk_rows]
        yield from _rank_chunk(chunk, ctx, exclude, explainer)


class _Context:
    """What every chunk needs about tonight's papers, computed once."""

    def __init__(self, candidates: PaperSpace, settings: RankSettings) -> None:
        self.c = candidates
        self.settings = settings
        self.index = candidates.index
        self.terms_t = sp.csr_matrix(candidates.terms.T)
        self.presence_t = sp.csr_matrix((candidates.terms > 0).astype(np.float32).T)
        top = float(np.log1p(candidates.trending.max())) if len(candidates) else 0.0
        self.trending = (
            settings.trending_weight * np.log1p(candidates.trending) / top
            if top > 0
            else np.zeros(len(candidates), np.float32)
        ).astype(np.float32)
        self.twins = _near_duplicates(candidates.vectors, settings.duplicate_similarity)


def _near_duplicates(vectors: np.ndarray, limit: float, block: int = 2048) -> dict[int, list[int]]:
    """Pairs of tonight's papers that are the same work (cosine >= limit), found once a night."""
    twins: dict[int, list[int]] = {}
    for start in range(0, len(vectors), block):
        sim = vectors[start : start + block] @ vectors.T
        for a, b in zip(*np.nonzero(sim >= limit), strict=True):
            if start + a != b:
                twins.setdefault(int(start + a), []).append(int(b))
    return twins


def _rank_chunk(
    chunk: Sequence[SubscriberModel],
    ctx: _Context,
    exclude: Mapping[str, Sequence[str]],
    explainer: Explainer,
) -> Iterator[RankResult]:
    n = len(ctx.c)
    rankable = [m for m in chunk if m.can_rank and n]
    for m in rankable:
        if m.fingerprint != ctx.c.fingerprint:
            raise StaleModel(f"model of {m.profile_id} was fitted for another encoder: refit it")
    scores, best = _interest_scores(rankable, ctx)
    _adjust(rankable, scores, ctx, exclude)
    k = min(n, max(3 * ctx.settings.top, 60))
    results: dict[str, RankResult] = {}
    for r, m in enumerate(rankable):
        row = scores[r]
        top = np.argpartition(-row, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-row[top], kind="stable")]
        recs = _digest(m, row, best[r], top, ctx, explainer)
        reason = "" if recs else "no new paper scored above the floor tonight"
        results[m.profile_id] = RankResult(m.profile_id, recs, reason)
    for m in chunk:
        if m.profile_id in results:
            yield results[m.profile_id]
        else:
            yield RankResult(m.profile_id, [], m.reason or "no new papers tonight")


def _interest_scores(
    models: Sequence[SubscriberModel], ctx: _Context
) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated score of each subscriber's best interest per paper, and which interest it was."""
    n = len(ctx.c)
    if not models:
        return np.zeros((0, n), np.float32), np.zeros((0, n), np.int32)
    owners = np.repeat(np.arange(len(models)), [len(m.interests) for m in models])
    interests = [i for m in models for i in m.interests]
    W = np.vstack([i.weights for i in interests]).astype(np.float32)
    S = W @ ctx.c.vectors.T
    T = _term_matrix(interests, ctx.c.terms.shape[1])
    if T.nnz:
        S += (T @ ctx.terms_t).toarray()
    mu = np.array([i.mu for i in interests], np.float32)
    sigma = np.array([i.sigma for i in interests], np.float32)
    S = (S - mu[:, None]) / sigma[:, None]
    S = _feedback(S, np.array([i.kind != "liked" for i in interests]), ctx)
    # Best interest per (subscriber, paper): rows of one subscriber are contiguous.
    starts = np.r_[0, np.cumsum([len(m.interests) for m in models])[:-1]]
    scores = np.maximum.reduceat(S, starts, axis=0)
    best = np.zeros(scores.shape, np.int32)
    for r in np.flatnonzero(np.bincount(owners) > 1).tolist():
        best[r] = np.argmax(S[starts[r] : starts[r] + len(models[r].interests)], axis=0)
    return scores.astype(np.float32), best


def _feedback(S: np.ndarray, rows: np.ndarray, ctx: _Context) -> np.ndarray:
    """Pseudo-relevance feedback over tonight's papers for interests given as words: each one's
    best few candidates become a second query, so papers like the clear hits rise even when they
    share no word with the keywords (tonight's papers on a subject cluster). Interests learnt
    from liked papers do not need it (measured: no gain)."""
    s = ctx.settings
    m = min(s.feedback_papers, S.shape[1])
    if s.feedback_weight <= 0 or not rows.any() or S.shape[1] < 2 * m:
        return S
    sub = S[rows]
    top = np.argpartition(-sub, m - 1, axis=1)[:, :m]
    Q = ctx.c.vectors[top].mean(axis=1)
    F = Q @ ctx.c.vectors.T
    F = (F - F.mean(axis=1, keepdims=True)) / (F.std(axis=1, keepdims=True) + 1e-6)
    S[rows] = sub + s.feedback_weight * F
    return S


def _term_matrix(interests: Sequence[InterestModel], size: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for r, i in enumerate(interests):
        if i.term_scale:
            rows.extend([r] * len(i.term_ids))
            cols.extend(i.term_ids.tolist())
            vals.extend((i.term_weights * i.term_scale).tolist())
    return sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(len(interests), size))


def _adjust(
    models: Sequence[SubscriberModel],
    scores: np.ndarray,
    ctx: _Context,
    exclude: Mapping[str, Sequence[str]],
) -> None:
    if not len(models):
        return
    scores += ctx.trending[None, :]
    neg = [(r, t) for r, m in enumerate(models) for t in m.negative_terms]
    if neg:
        N = sp.csr_matrix(
            (np.ones(len(neg), np.float32), ([r for r, _ in neg], [t for _, t in neg])),
            shape=(len(models), ctx.c.terms.shape[1]),
        )
        hit = (N @ ctx.presence_t).toarray() > 0
        scores[hit] = EXCLUDED
    scores += AUTHOR_BONUS * _members([m.authors for m in models], ctx.c.authors)
    scores += CATEGORY_BONUS * _members([m.categories for m in models], ctx.c.categories)
    for r, m in enumerate(models):
        for pid in (*m.excluded_ids, *exclude.get(m.profile_id, ())):
            j = ctx.index.get(pid)
            if j is not None:
                scores[r, j] = EXCLUDED


def _members(wanted: Sequence[frozenset[str]], have: Sequence[frozenset[str]]) -> np.ndarray:
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


def _digest(
    m: SubscriberModel,
    row: np.ndarray,
    best: np.ndarray,
    order: np.ndarray,
    ctx: _Context,
    explainer: Explainer,
) -> list[Recommendation]:
    """Top papers above the floor; each interest first gets its share; near-duplicates collapse."""
    s = ctx.settings
    keep = order[row[order] >= s.score_floor]
    if not len(keep):
        return []
    pool = _Pool(keep, ctx)
    owner = best[keep].tolist()
    if len(m.interests) > 1:
        share = max(1, int(s.top * s.interest_share / len(m.interests)))
        for k in range(len(m.interests)):
            pool.take(share, owner, k)
    pool.take(s.top - len(pool.chosen), owner, None)
    chosen = sorted(pool.chosen)  # positions in `keep`, which is best first
    js = [int(keep[a]) for a in chosen]
    interests = [m.interests[owner[a]] for a in chosen]
    texts = explainer.explain_many(m, interests, js)
    return [
        Recommendation(
            paper_id=ctx.c.ids[j],
            score=round(float(row[j]), 4),
            explanation=text,
            interest=interest.name,
        )
        for j, interest, text in zip(js, interests, texts, strict=True)
    ]


class _Pool:
    """Greedy picking from a best-first list, skipping near-duplicates of what was picked."""

    def __init__(self, keep: np.ndarray, ctx: _Context) -> None:
        self.keep = keep.tolist()
        self.chosen: list[int] = []
        self.blocked: set[int] = set()  # candidate rows
        self.twins = ctx.twins

    def take(self, n: int, owner: list[int], interest: int | None) -> None:
        """Up to n more papers, of one interest or (None) of any."""
        added = 0
        for a, j in enumerate(self.keep):
            if added >= n:
                return
            if j in self.blocked or (interest is not None and owner[a] != interest):
                continue
            self.chosen.append(a)
            self.blocked.add(j)
            self.blocked.update(self.twins.get(j, ()))
            added += 1
