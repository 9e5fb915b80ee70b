"""One short line per recommended paper, for the email: why this paper, for this subscriber."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ranking.core.space import PaperSpace
from ranking.core.subscriber import InterestModel, SubscriberModel

MAX_TITLE = 60


class Explainer:
    def __init__(self, candidates: PaperSpace, catalogue: PaperSpace | None = None) -> None:
        self.c = candidates
        self.catalogue = catalogue
        t = candidates.terms
        # Each candidate's words as a dict, once: explanations are made ~2 million times a night.
        self.words = [
            dict(zip(t.indices[a:b].tolist(), t.data[a:b].tolist(), strict=True))
            for a, b in zip(t.indptr[:-1], t.indptr[1:], strict=True)
        ]

    def explain_many(
        self, model: SubscriberModel, interests: Sequence[InterestModel], js: Sequence[int]
    ) -> list[str]:
        likes = self._resembles(interests, js)
        return [
            self._line(model, i, j, like) for i, j, like in zip(interests, js, likes, strict=True)
        ]

    def explain(self, model: SubscriberModel, interest: InterestModel, j: int) -> str:
        return self.explain_many(model, [interest], [j])[0]

    def _line(self, model: SubscriberModel, interest: InterestModel, j: int, like: str) -> str:
        parts = [f"For {interest.name}"]
        if model.authors:
            authors = sorted(model.authors & self.c.authors[j])
            if authors:
                names = ", ".join(a.title() for a in authors[:2])
                parts.append(f"by an author you follow ({names})")
        words = self.matched_terms(interest, j)
        if words:
            parts.append("matches " + ", ".join(f"“{w}”" for w in words))
        if like:
            parts.append(f"like “{like}”")
        if model.categories and not words and not like:
            cats = sorted(model.categories & self.c.categories[j])
            if cats:
                parts.append("in " + ", ".join(cats[:2]))
        if self.c.trending[j] > 0:
            parts.append(f"trending ({int(self.c.trending[j])})")
        return "; ".join(parts)

    def matched_terms(self, interest: InterestModel, j: int, n: int = 3) -> list[str]:
        mine, theirs = self.words[j], interest.term_dict()
        hits = sorted(((theirs[k] * mine[k], k) for k in theirs.keys() & mine.keys()), reverse=True)
        words: list[str] = []
        for _, k in hits:
            w = str(self.c.vocabulary[k])
            # "neural network" already says "neural"; keep the longer phrase only.
            if any(w in x or x in w for x in words):
                continue
            words.append(w)
            if len(words) == n:
                break
        return words

    def _resembles(self, interests: Sequence[InterestModel], js: Sequence[int]) -> list[str]:
        """The subscriber's own paper each recommendation is most like (liked-paper interests)."""
        out = [""] * len(js)
        if self.catalogue is None:
            return out
        for interest in {id(i): i for i in interests}.values():
            if interest.kind != "liked" or not interest.exemplar_ids:
                continue
            rows, _ = self.catalogue.rows(interest.exemplar_ids)
            pos = [k for k, i in enumerate(interests) if i is interest]
            if not rows or not pos:
                continue
            sims = self.c.vectors[[js[k] for k in pos]] @ self.catalogue.vectors[rows].T
            for k, r in zip(pos, np.argmax(sims, axis=1).tolist(), strict=True):
                title = self.catalogue.titles[rows[r]]
                out[k] = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"
        return out
