"""One short line per recommended paper, for the email: why this paper, for this subscriber, in
words a researcher would write.

    For <interest, as the reader typed it>; mentions “phrase”, “phrase”
    Like “<title>”, a paper you liked (or chose); by <name>, an author you follow;
    in <categories>; trending: <n> upvotes

Quoted phrases are terms the paper wrote (words.py pairs only adjacent words) and never only
generic words ("new", "methods", "performance"). Made for a whole chunk of recommendations at
once (~2 million a night): the matched words are one sparse element-wise product (each
recommendation's interest words x its paper's tf-idf), sorted per row; the paper it resembles is
one product of tonight's papers with the chunk's cited papers; the line itself is assembled
with array operations on strings. Only the rare parts (followed authors, categories) are built
per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ranking.core.score import term_matrix
from ranking.core.space import PaperSpace
from ranking.core.subscriber import InterestModel, SubscriberModel
from ranking.core.words import quotable

MAX_TITLE = 60
WORDS = 2  # matched phrases quoted per paper
PHRASE_WEIGHT = 2.0
_LOOK = 6  # best matches examined per row before falling back to the exact loop
_MAX_BLOCK = 1 << 24  # floats in one (tonight x cited papers) similarity block


class Explainer:
    def __init__(self, candidates: PaperSpace, catalogue: PaperSpace | None = None) -> None:
        self.c = candidates
        self.catalogue = catalogue
        self.vocab = candidates.vocabulary
        self._clash, self._quoted, keep = night_words(candidates)
        # Generic terms never match, so they are never quoted (nor crowd out a real phrase).
        self.terms = sp.csr_matrix(candidates.terms @ sp.diags(keep), dtype=np.float64)
        self._short_titles: dict[tuple[int, bool], str] = {}
        upvotes = candidates.trending.tolist()
        self.trending = np.array(
            [f"; trending: {int(x)} upvotes" if x > 0 else "" for x in upvotes], dtype=object
        )

    def explain(self, model: SubscriberModel, interest: InterestModel, j: int) -> str:
        """One recommendation (the same code as the chunk path)."""
        return self.explain_rows([model], [interest], np.zeros(1, int), np.zeros(1, int), [j])[0]

    def explain_rows(
        self,
        models: Sequence[SubscriberModel],
        interests: Sequence[InterestModel],
        sub: np.ndarray,
        interest: np.ndarray,
        js: Sequence[int] | np.ndarray,
    ) -> list[str]:
        """Row r explains paper js[r], recommended to models[sub[r]] for interests[interest[r]]."""
        js = np.asarray(js, np.int64)
        if not len(js):
            return []
        names = np.array([_label(i) for i in interests], dtype=object)
        words, has_words = self._words_part(interests, interest, js)
        like, has_like = self._like_part(interests, interest, js)
        # A paper like one of the reader's own says so first; otherwise the interest it serves.
        out = np.where(has_like, like, names[interest])
        _append(out, self._authors_part(models, sub, js))
        _append(out, np.where(has_like, "", words))
        said = has_words | has_like
        _append(out, self._categories_part(models, interests, sub, interest, js, said))
        _append(out, self.trending[js])
        return out.tolist()

    # ------------------------------------------------------------------ matched words
    def _words_part(
        self, interests: Sequence[InterestModel], interest: np.ndarray, js: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        words = self.matched_term_ids(interests, interest, js)
        first, more = self._quoted
        part = first[words[:, 0]]
        for col in range(1, WORDS):
            _append(part, more[words[:, col]])
        return part, words[:, 0] >= 0

    def matched_term_ids(
        self, interests: Sequence[InterestModel], interest: np.ndarray, js: np.ndarray
    ) -> np.ndarray:
        """Up to WORDS words per row (-1 = none), best match first: the interest's weight times
        the paper's tf-idf, a longer phrase standing for the words it contains."""
        A = term_matrix(interests, self.terms.shape[1], scaled=False)
        P = A[interest].multiply(self.terms[js]).tocsr()
        P.sort_indices()
        R = len(js)
        lens = np.diff(P.indptr)
        look = min(_LOOK, int(lens.max(initial=0)))
        cand = self._best_per_row(P, lens, max(look, 1))
        kept = np.zeros(cand.shape, bool)
        count = np.zeros(R, np.int64)
        rejected = np.zeros(R, bool)
        for i in range(look):
            ok = (cand[:, i] >= 0) & (count < WORDS)
            for p in range(i):
                clash = kept[:, p] & ok
                if clash.any():
                    hit = self._clashes(cand[clash, p], cand[clash, i])
                    rows = np.flatnonzero(clash)[hit]
                    ok[rows] = False
                    rejected[rows] = True
            kept[:, i] = ok
            count += ok
        out = np.full((R, WORDS), -1, np.int64)
        kr, kc = np.nonzero(kept)
        out[kr, (np.cumsum(kept, axis=1) - 1)[kr, kc]] = cand[kr, kc]
        # Rows that lost words to longer phrases and have more matches than examined.
        for r in np.flatnonzero(rejected & (count < WORDS) & (lens > look)).tolist():
            a, b = P.indptr[r], P.indptr[r + 1]
            hits = zip(P.data[a:b].tolist(), P.indices[a:b].tolist(), strict=True)
            chosen = self._greedy([k for _, k in sorted(hits, reverse=True)])
            out[r] = -1
            out[r, : len(chosen)] = chosen
        return out

    @staticmethod
    def _best_per_row(P: sp.csr_matrix, lens: np.ndarray, look: int) -> np.ndarray:
        """The `look` best (value, then term id, descending) column ids of each row, -1 padded."""
        R = len(lens)
        width = int(lens.max(initial=0))
        cand = np.full((R, look), -1, np.int64)
        if not width:
            return cand
        row = np.repeat(np.arange(R), lens)
        # Right to left: the first maximum argmax finds is then the largest term id of a tie.
        col = P.indptr[1:][row] - 1 - np.arange(P.nnz)
        D = np.full((R, width), -np.inf)
        D[row, col] = P.data
        ids = np.full((R, width), -1, np.int64)
        ids[row, col] = P.indices
        every = np.arange(R)
        for i in range(min(look, width)):
            at = np.argmax(D, axis=1)
            got = D[every, at] > -np.inf
            cand[got, i] = ids[every, at][got]
            D[every, at] = -np.inf
        return cand

    def _clashes(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether word a contains word b or b contains a, per pair."""
        if not len(self._clash):  # tonight's vocabulary has no word inside another
            return np.zeros(len(a), bool)
        keys = np.minimum(a, b) * len(self.vocab) + np.maximum(a, b)
        at = np.searchsorted(self._clash, keys)
        return (at < len(self._clash)) & (self._clash[np.minimum(at, len(self._clash) - 1)] == keys)

    def _greedy(self, ids: Sequence[int]) -> list[int]:
        chosen: list[int] = []
        for k in ids:
            w = str(self.vocab[k])
            if any(w in str(self.vocab[x]) or str(self.vocab[x]) in w for x in chosen):
                continue
            chosen.append(k)
            if len(chosen) == WORDS:
                break
        return chosen

    # ------------------------------------------------------------------ the liked paper
    def _like_part(
        self, interests: Sequence[InterestModel], interest: np.ndarray, js: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The subscriber's own paper each recommendation is most like (liked-paper interests)."""
        part = np.full(len(js), "", dtype=object)
        has = np.zeros(len(js), bool)
        cat = self.catalogue
        if cat is None:
            return part, has
        E = self._cited(interests, np.unique(interest), cat)
        rows = np.flatnonzero(E[interest, 0] >= 0)
        if not len(rows):
            return part, has
        nearest = self._nearest(js[rows], E[interest[rows]])
        # One line per distinct (cited paper, interest), not per recommendation (~2 million a
        # night): whether the cited paper was chosen or liked depends on both.
        pairs = np.stack([nearest, interest[rows]], axis=1)
        unique, back = np.unique(pairs, axis=0, return_inverse=True)
        lines = [self._like(n, cat.ids[n] in interests[g].chosen_ids) for n, g in unique.tolist()]
        part[rows] = np.array(lines, object)[back.ravel()]
        return part, part != ""

    @staticmethod
    def _cited(interests: Sequence[InterestModel], used: np.ndarray, cat: PaperSpace) -> np.ndarray:
        """Catalogue rows of the papers each liked-paper interest may cite, -1 padded."""
        liked = [g for g in used.tolist() if interests[g].kind == "liked"]
        ids = [x for g in liked for x in interests[g].exemplar_ids]
        sizes = [len(interests[g].exemplar_ids) for g in liked]
        owner = np.repeat(np.array(liked, np.int64), sizes)
        index = cat.index
        rows = np.array([index.get(x, -1) for x in ids], np.int64)
        owner, rows = owner[rows >= 0], rows[rows >= 0]
        if not len(rows):
            return np.full((len(interests), 1), -1, np.int64)
        first, counts = np.unique(owner, return_index=True, return_counts=True)[1:]
        E = np.full((len(interests), int(counts.max())), -1, np.int64)
        E[owner, np.arange(len(owner)) - np.repeat(first, counts)] = rows
        return E

    def _nearest(self, js: np.ndarray, ex: np.ndarray) -> np.ndarray:
        """Per row, the cited catalogue row (of `ex`, -1 = padding) nearest to paper js[r]."""
        cat = self.catalogue
        if cat is None:
            return np.full(len(js), -1, np.int64)
        cols, slot = np.unique(ex[ex >= 0], return_inverse=True)
        where = np.full(ex.shape, -1, np.int64)
        where[ex >= 0] = slot
        if len(self.c) * len(cols) <= _MAX_BLOCK:
            # Few distinct cited papers (the usual case): one product, then a gather.
            sims = self.c.vectors @ cat.vectors[cols].T
            got = sims[js[:, None], np.maximum(where, 0)]
        else:
            step = max(1, _MAX_BLOCK // (ex.shape[1] * self.c.vectors.shape[1]))
            got = np.concatenate([
                np.einsum(
                    "rd,red->re", self.c.vectors[js[a : a + step]],
                    cat.vectors[cols[np.maximum(where[a : a + step], 0)]],
                )
                for a in range(0, len(js), step)
            ])  # fmt: skip
        got[where < 0] = -np.inf
        return ex[np.arange(len(ex)), np.argmax(got, axis=1)]

    def _like(self, row: int, chosen: bool) -> str:
        text = self._short_titles.get((row, chosen))
        if text is None:
            title = self.catalogue.titles[row] if self.catalogue is not None else ""
            title = " ".join(title.split())
            if len(title) > MAX_TITLE:
                title = title[: MAX_TITLE - 1].rstrip() + "…"
            whose = "a paper you chose" if chosen else "a paper you liked"
            text = f"Like “{title}”, {whose}" if title else ""
            self._short_titles[(row, chosen)] = text
        return text

    # ------------------------------------------------------------------ rare parts, per row
    def _authors_part(
        self, models: Sequence[SubscriberModel], sub: np.ndarray, js: np.ndarray
    ) -> np.ndarray:
        part = np.full(len(js), "", dtype=object)
        follows = np.array([bool(m.authors) for m in models], bool)
        for r in np.flatnonzero(follows[sub]).tolist():
            authors = sorted(models[int(sub[r])].authors & self.c.authors[int(js[r])])
            if authors:
                names = " and ".join(a.title() for a in authors[:2])
                whom = "authors you follow" if len(authors) > 1 else "an author you follow"
                part[r] = f"; by {names}, {whom}"
        return part

    def _categories_part(
        self,
        models: Sequence[SubscriberModel],
        interests: Sequence[InterestModel],
        sub: np.ndarray,
        interest: np.ndarray,
        js: np.ndarray,
        said: np.ndarray,
    ) -> np.ndarray:
        """Categories only when nothing more specific (words, a liked paper) was said: the
        subscriber's own, else those the interest learnt to like."""
        part = np.full(len(js), "", dtype=object)
        for r in np.flatnonzero(~said).tolist():
            have = self.c.categories[int(js[r])]
            cats = sorted(models[int(sub[r])].categories & have)
            if not cats:
                learnt = interests[int(interest[r])].category_weights
                cats = sorted(c for c in have if learnt.get(c, 0.0) > 0)
            if cats:
                part[r] = "; in " + ", ".join(cats[:2])
        return part


def _label(interest: InterestModel) -> str:
    if interest.kind == "liked":
        # Models stored before the interest was named for the reader said "liked papers".
        name = "papers you liked" if interest.name == "liked papers" else interest.name
        return f"Like {name}"
    if interest.kind == "authors":
        return "By an author you follow"
    return f"For {interest.name}"


def _append(out: np.ndarray, part: np.ndarray) -> None:
    """out += part (object arrays of str), only where part is not empty: most parts are rare."""
    where = np.flatnonzero(part != "")
    if len(where) == len(out):
        out += part
    elif len(where):
        out[where] += part[where]


_Words = tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray]
_NIGHT: dict[tuple[int, str, bytes], _Words] = {}


def night_words(candidates: PaperSpace) -> _Words:
    """What explanations need about tonight's words, found once per candidate set (a fraction
    of a second) and kept for the next chunk task of the night:

    - sorted keys (lo * vocabulary + hi) of the pairs of words where one contains the other
      ("neural" in "neural network"): an explanation quotes only the first of such a pair;
    - by term id, "; mentions “word”" and ", “word”" ("" for words no candidate has, and at -1);
    - by term id, the weight of a term in the choice of what to quote: 0 for generic ones
      (words.py), more for phrases than for words.
    """
    used = np.unique(candidates.terms.indices)
    vocab = candidates.vocabulary
    key = (len(vocab), candidates.fingerprint, hashlib.blake2b(used.tobytes()).digest())
    found = _NIGHT.get(key)
    if found is not None:
        return found
    keep = np.zeros(len(vocab), np.float64)
    words = [str(vocab[k]) for k in used.tolist()]
    # A phrase outweighs its words: "dense retrieval" says more than "retrieval".
    keep[used] = [quotable(w) * (PHRASE_WEIGHT if " " in w else 1.0) for w in words]
    where = dict(zip(words, used.tolist(), strict=True))
    pairs = []
    for w, k in zip(words, used.tolist(), strict=True):
        for a in range(len(w)):
            for b in range(a + 1, len(w) + 1):
                k2 = where.get(w[a:b])
                if k2 is not None and k2 != k:
                    pairs.append(min(k, k2) * len(vocab) + max(k, k2))
    first = np.full(len(vocab) + 1, "", dtype=object)
    first[used] = [f"; mentions “{w}”" for w in words]
    more = np.full(len(vocab) + 1, "", dtype=object)
    more[used] = [f", “{w}”" for w in words]
    found = (np.unique(np.array(pairs, np.int64)), (first, more), keep)
    if len(_NIGHT) >= 4:
        _NIGHT.clear()
    _NIGHT[key] = found
    return found
