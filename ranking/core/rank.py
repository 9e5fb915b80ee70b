"""Nightly ranking: every subscriber's interests against tonight's papers as one chunked product.

Per chunk of subscribers (`score.py`): dense scores (interests x dim) @ (dim x papers),
exact-term scores, calibration, the best interest per paper, the adjustments (followed authors,
categories, trending prior, negative keywords, papers never to return); then (`pick.py`) top
candidates by `argpartition` over the whole 2-D array, a floor, a share for each interest,
near-duplicates collapsed; last (`explain.py`) an explanation for every pick. Each step works on
the whole chunk, so the night's cost does not grow with Python work per recommendation.

`rank_chunks` hands back each chunk as columns (`RankedChunk`), which is what the nightly job
writes; `rank_many` / `rank` give the same results as one `RankResult` per subscriber.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ranking.core.explain import Explainer
from ranking.core.pick import pick
from ranking.core.score import AUTHOR_BONUS, CATEGORY_BONUS, EXCLUDED, Tonight, adjust
from ranking.core.score import interest_scores as _interest_scores
from ranking.core.space import PaperSpace
from ranking.core.subscriber import SubscriberModel
from ranking.core.types import RankSettings, Recommendation

__all__ = [
    "AUTHOR_BONUS",
    "CATEGORY_BONUS",
    "EXCLUDED",
    "RankResult",
    "RankedChunk",
    "StaleModel",
    "rank",
    "rank_chunks",
    "rank_many",
]

NO_PAPERS = "no new papers tonight"
BELOW_FLOOR = "no new paper scored above the floor tonight"


class StaleModel(ValueError):
    """The model was fitted against another encoder or vocabulary: refit it."""


@dataclass
class RankResult:
    profile_id: str
    recommendations: list[Recommendation]
    reason: str = ""  # why the list is empty, when it is


@dataclass
class RankedChunk:
    """One chunk's results as columns: subscriber `s` owns rows `start[s]:start[s + 1]`, best
    first. The nightly job writes these rows as they are, without an object per row."""

    profile_ids: list[str]
    reasons: list[str]  # per subscriber, "" when it has recommendations
    start: np.ndarray  # (subscribers + 1,) row offsets
    paper_ids: list[str]
    scores: list[float]  # rounded to 4 places
    explanations: list[str]
    interests: list[str]

    def rows(self) -> Iterator[tuple[str, str, int, float, str, str]]:
        """(profile id, paper id, rank from 1, score, explanation, interest) per recommendation."""
        counts = np.diff(self.start)
        owners = np.repeat(np.array(self.profile_ids, dtype=object), counts).tolist()
        ranks = (np.arange(int(self.start[-1])) - np.repeat(self.start[:-1], counts) + 1).tolist()
        return zip(
            owners, self.paper_ids, ranks, self.scores, self.explanations, self.interests,
            strict=True,
        )  # fmt: skip

    def results(self) -> Iterator[RankResult]:
        for s, pid in enumerate(self.profile_ids):
            a, b = int(self.start[s]), int(self.start[s + 1])
            recs = [
                Recommendation(self.paper_ids[r], self.scores[r], self.explanations[r], i)
                for r, i in zip(range(a, b), self.interests[a:b], strict=True)
            ]
            yield RankResult(pid, recs, self.reasons[s])


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
    for chunk in rank_chunks(models, candidates, settings, exclude, catalogue):
        yield from chunk.results()


def rank_chunks(
    models: Sequence[SubscriberModel],
    candidates: PaperSpace,
    settings: RankSettings | None = None,
    exclude: Mapping[str, Sequence[str]] | None = None,
    catalogue: PaperSpace | None = None,
) -> Iterator[RankedChunk]:
    """`rank_many`, one `RankedChunk` per `settings.chunk_rows` models, in order."""
    settings = settings or RankSettings()
    tonight = Tonight(candidates, settings, background_of(catalogue))
    explainer = Explainer(candidates, catalogue)
    for start in range(0, len(models), settings.chunk_rows):
        chunk = models[start : start + settings.chunk_rows]
        yield _rank_chunk(chunk, tonight, exclude or {}, explainer)


def background_of(catalogue: PaperSpace | None, size: int = 1000) -> np.ndarray | None:
    """A fixed sample of the catalogue's vectors (typical papers), or None without one."""
    if catalogue is None or not len(catalogue):
        return None
    rows = np.random.default_rng(0).choice(len(catalogue), min(size, len(catalogue)), False)
    return catalogue.vectors[np.sort(rows)]


def _rank_chunk(
    chunk: Sequence[SubscriberModel],
    t: Tonight,
    exclude: Mapping[str, Sequence[str]],
    explainer: Explainer,
) -> RankedChunk:
    rankable = [m for m in chunk if m.can_rank] if len(t.c) else []
    for m in rankable:
        if m.fingerprint != t.c.fingerprint:
            raise StaleModel(f"model of {m.profile_id} was fitted for another encoder: refit it")
    interests = [i for m in rankable for i in m.interests]
    scores, best = _interest_scores(rankable, interests, t)
    adjust(rankable, scores, t, exclude)
    sizes = np.array([len(m.interests) for m in rankable], np.int64)
    picks = pick(scores, best, sizes, t.twins, t.settings)
    # Global interest row of each pick: the subscriber's first interest row + its position.
    first = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    interest = first[picks.sub] + picks.owner if len(picks.sub) else picks.sub
    texts = explainer.explain_rows(rankable, interests, picks.sub, interest, picks.paper)
    # Rows of the rankable models, placed among the whole chunk (unrankable ones get none).
    slot = {id(m): r for r, m in enumerate(rankable)}
    per_rankable = np.bincount(picks.sub, minlength=len(rankable))
    counts = np.array([per_rankable[slot[id(m)]] if id(m) in slot else 0 for m in chunk])
    reasons = [
        "" if n else (BELOW_FLOOR if id(m) in slot else m.reason or NO_PAPERS)
        for m, n in zip(chunk, counts.tolist(), strict=True)
    ]
    ids = np.array(t.c.ids, dtype=object)
    names = np.array([i.name for i in interests], dtype=object)
    return RankedChunk(
        profile_ids=[m.profile_id for m in chunk],
        reasons=reasons,
        start=np.r_[0, np.cumsum(counts)].astype(np.int64),
        paper_ids=ids[picks.paper].tolist(),
        scores=np.round(picks.score.astype(np.float64), 4).tolist(),
        explanations=texts,
        interests=names[interest].tolist() if len(interest) else [],
    )
