"""Each subscriber's digest from the chunk's scores, for the whole chunk at once: the best
candidates by `argpartition` over the 2-D score array, a score floor, a share for each interest,
near-duplicates collapsed.

The share rule is greedy: each interest in turn takes its best `share` papers, then the best of
the rest fill the digest. Without near-duplicates among a subscriber's candidates that is a
per-row count, done with array operations; the rare subscriber whose candidates include a pair
of twins goes through the greedy loop itself (`_Pool`), so both paths give the same digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ranking.core.types import RankSettings


@dataclass
class Picks:
    """The chosen papers of a chunk, one entry per recommendation, best first per subscriber."""

    sub: np.ndarray  # subscriber (row of the chunk's score array)
    paper: np.ndarray  # candidate row
    owner: np.ndarray  # interest, as its position within the subscriber's model
    score: np.ndarray  # float32


def pick(
    scores: np.ndarray,
    best: np.ndarray,
    n_interests: np.ndarray,
    twins: dict[int, list[int]],
    settings: RankSettings,
) -> Picks:
    """Digest of every row of `scores` (subscribers x papers); `best` says which interest of the
    subscriber scored each paper, `n_interests` how many interests each subscriber has."""
    R, n = scores.shape
    if not R or not n:
        e = np.zeros(0, np.int64)
        return Picks(e, e, e, np.zeros(0, np.float32))
    k = min(n, max(3 * settings.top, 60))
    neg = -scores
    top = np.argpartition(neg, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (R, 1))
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(neg, top, 1), 1, "stable"), 1)
    vals = np.take_along_axis(scores, top, 1)
    valid = vals >= settings.score_floor  # best first, so a prefix of each row
    owner = np.take_along_axis(best, top, 1)
    chosen = _shares(valid, owner, n_interests, settings)
    if twins:
        chosen = _collapse_twins(chosen, top, valid, owner, n_interests, twins, settings)
    sub, pos = np.nonzero(chosen)
    return Picks(sub, top[sub, pos], owner[sub, pos], vals[sub, pos])


def share_of(n_interests: np.ndarray | int, settings: RankSettings) -> np.ndarray:
    """Papers reserved for each interest of a subscriber with several."""
    return np.maximum(1, (settings.top * settings.interest_share / np.asarray(n_interests)) // 1)


def _shares(
    valid: np.ndarray, owner: np.ndarray, n_interests: np.ndarray, settings: RankSettings
) -> np.ndarray:
    share = share_of(n_interests, settings)
    reserved = np.zeros(valid.shape, bool)
    many = n_interests > 1
    for interest in range(int(n_interests.max())):
        mine = valid & (owner == interest) & many[:, None]
        reserved |= mine & (np.cumsum(mine, axis=1) <= share[:, None])
    room = settings.top - reserved.sum(axis=1)
    rest = valid & ~reserved
    return reserved | (rest & (np.cumsum(rest, axis=1) <= room[:, None]))


def _collapse_twins(
    chosen: np.ndarray,
    top: np.ndarray,
    valid: np.ndarray,
    owner: np.ndarray,
    n_interests: np.ndarray,
    twins: dict[int, list[int]],
    settings: RankSettings,
) -> np.ndarray:
    """Redo, with the greedy loop, the rows whose candidates hold both halves of a twin pair."""
    has_twin = np.zeros(int(top.max()) + 1, bool)
    has_twin[[j for j in twins if j < len(has_twin)]] = True
    for r in np.flatnonzero((has_twin[top] & valid).sum(axis=1) >= 2).tolist():
        keep = top[r][valid[r]]
        pool = _Pool(keep, twins)
        own = owner[r][valid[r]].tolist()
        count = int(n_interests[r])
        if count > 1:
            share = int(share_of(count, settings))
            for interest in range(count):
                pool.take(share, own, interest)
        pool.take(settings.top - len(pool.chosen), own, None)
        chosen[r] = False
        chosen[r, pool.chosen] = True
    return chosen


class _Pool:
    """Greedy picking from a best-first list, skipping near-duplicates of what was picked."""

    def __init__(self, keep: np.ndarray, twins: dict[int, list[int]]) -> None:
        self.keep = keep.tolist()
        self.chosen: list[int] = []
        self.blocked: set[int] = set()  # candidate rows
        self.twins = twins

    def take(self, n: int, owner: Sequence[int], interest: int | None) -> None:
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
