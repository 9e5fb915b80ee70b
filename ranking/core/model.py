"""Per-subscriber models, fitted when a profile or its feedback changes (seconds), stored as bytes.

Each interest of a subscriber (its liked and seed papers, each topic, its own keywords, its
categories) becomes one linear scorer over tonight's papers:

    score(x) = w . vector(x) + t . terms(x) + sum of c[k] over x's categories k,
    calibrated as (score - mu) / sigma

`w` blends a class-weighted logistic regression (positives vs. a background sample of the
catalogue, disliked papers as extra negatives; `c` are its weights for the papers' subject
categories, learnt in the same regression) with the positives' centroid; `t` is a short list
of weighted words (the interest's keywords and the terms its papers share) that explanations
quote; in the light configuration, for liked papers, `t` is a second logistic regression on word
tf-idf (its largest positive weights), which gives exact-term matching. Keyword-only interests
get positives by pseudo-relevance feedback: the catalogue papers that best match the keywords.
`mu`/`sigma` are the score's mean and spread over the background sample, so "2.0" means "two
standard deviations above this subscriber's typical paper" for everyone: that is what the score
floor compares to.
Because every scorer is linear, ranking 100,000 subscribers is a chunked matrix product.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from ranking.core.encoders import Encoder, LsaEncoder, TermIndex
from ranking.core.space import PaperSpace, category_onehot, normalise_name
from ranking.core.subscriber import InterestModel, SubscriberModel
from ranking.core.types import Profile, Topic


@dataclass
class FitSettings:
    background: int = 1000  # catalogue papers sampled as negatives / for calibration
    C: float = 0.1  # inverse regularisation of the logistic regression
    centroid_weight: float = 0.0  # centroid vs. logistic regression, in calibrated units
    term_weight: float = 0.0  # exact-term scorer vs. the dense one, in calibrated units
    max_terms: int = 48  # words kept per interest
    prf_papers: int = 20  # pseudo-relevant catalogue papers for a keyword-only interest
    query_weight: float = 1.5  # the keyword query itself vs. its feedback papers
    prf_term_weight: float = 1.0  # exact words vs. meaning when picking feedback papers
    max_positives: int = 500  # most recent liked papers a model learns from
    category_papers: int = 200  # catalogue papers that stand for a category-only interest
    sparse_weight: float = 0.0  # word tf-idf logistic regression vs. the dense one (calibrated)
    sparse_C: float = 1.0  # its inverse regularisation
    sparse_terms: int = 200  # its largest positive word weights kept (the rest are dropped)
    sparse_full_at: int = 20  # liked papers at which it gets its full weight (less: in proportion)
    # A paper's subject categories (arXiv's cs.CV, hep-th...) as features of the interest's
    # logistic regression, beside its text, at this value (0: text only).
    category_scale: float = 0.3
    # How far papers like a disliked one are pushed down (calibrated units per spread).
    dislike_weight: float = 0.7
    # Largest category weights kept per interest (4 / 8 / 32 measured alike on arxiv-ml; each
    # one costs stored bytes and rank-time work for every subscriber).
    max_categories: int = 8


LIGHT_SPARSE_WEIGHT = 1.0
NO_INTERESTS = "no interests yet: add topics, keywords, categories, authors or liked papers"
NOTHING_KNOWN = (
    "nothing in the profile matches the catalogue yet (unknown papers, keywords that match no "
    "paper): add other keywords or like a paper from the digest"
)
OWN_KEYWORDS = "your keywords"
EXEMPLARS = 20  # most recent liked papers an explanation may cite
OWN_CATEGORIES = "your categories"


class ProfileFitter:
    """Fits `SubscriberModel`s against one catalogue (shared background sample and term index)."""

    def __init__(
        self,
        catalogue: PaperSpace,
        encoder: Encoder,
        term_index: TermIndex,
        settings: FitSettings | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.encoder = encoder
        self.term_index = term_index
        self.settings = settings or default_fit_settings(encoder)
        n = len(catalogue)
        rng = np.random.default_rng(0)
        size = min(n, self.settings.background)
        self.background = (
            np.sort(rng.choice(n, size=size, replace=False)) if n else np.array([], int)
        )
        self.category_index, self.category_onehot = category_onehot(catalogue.categories)
        self.category_names = np.array(list(self.category_index), dtype=object)

    def fit(self, profile: Profile) -> SubscriberModel:
        cat = self.catalogue
        liked, unknown_l = cat.rows(profile.liked_ids)
        seeds, unknown_s = cat.rows(profile.seed_ids)
        disliked, unknown_d = cat.rows(profile.disliked_ids)
        model = SubscriberModel(
            profile_id=profile.id,
            fingerprint=cat.fingerprint,
            interests=[],
            negative_terms=self._term_rows(profile.negative_keywords),
            categories=frozenset(c.strip() for c in profile.categories if c.strip()),
            authors=frozenset(filter(None, map(normalise_name, profile.authors))),
            excluded_ids=frozenset(profile.liked_ids)
            | frozenset(profile.disliked_ids)
            | frozenset(profile.seed_ids),
            unknown_papers=unknown_l + unknown_s + unknown_d,
        )
        if not profile.has_interests:
            model.reason = NO_INTERESTS
            return model
        positives = list(dict.fromkeys(seeds + liked))[-self.settings.max_positives :]
        if positives:
            name = _papers_name(bool(seeds), bool(set(liked) - set(seeds)))
            interest = self._from_papers(name, "liked", positives, disliked)
            chosen = {self.catalogue.ids[i] for i in seeds}
            interest.chosen_ids = [x for x in interest.exemplar_ids if x in chosen]
            model.interests.append(interest)
        topics = list(profile.topics)
        own = tuple(k for k in profile.keywords if k.strip())
        if own:
            topics.append(Topic(OWN_KEYWORDS, own))
        if model.categories and not any(t.categories for t in topics):
            topics.append(Topic(OWN_CATEGORIES, categories=tuple(model.categories)))
        for topic in topics:
            found = self._from_topic(topic, disliked)
            if found is None:
                model.unmatched.append(topic.name if topic.name != OWN_KEYWORDS else ", ".join(own))
            else:
                model.interests.append(found)
        if model.authors:
            model.interests.append(self._zero("followed authors", "authors"))
        if not model.interests:
            model.reason = NOTHING_KNOWN
        return model

    # ------------------------------------------------------------------ interests
    def _from_topic(self, topic: Topic, disliked: list[int]) -> InterestModel | None:
        """A topic or keyword interest; None when its words match nothing in the catalogue."""
        cat, s = self.catalogue, self.settings
        own = topic.name in (OWN_KEYWORDS, OWN_CATEGORIES)
        words = [*topic.keywords] if own else [topic.name, *topic.keywords]
        query = " ; ".join(w for w in words if w.strip())
        positives, _ = cat.rows(topic.seed_ids)
        if topic.categories:
            positives += self._category_rows(frozenset(topic.categories))
        qv = qt = None
        if query:
            qt = self.term_index.transform([query])
            if qt.nnz:
                qv = self.encoder.encode_query([query])[0]
                # Pseudo-relevance feedback: the catalogue papers that match the words best
                # stand in for the liked papers the interest does not have yet.
                s0 = _z(cat.vectors @ qv) + s.prf_term_weight * _z(_dense(cat.terms @ qt.T))
                prf = np.argsort(-s0, kind="stable")[: s.prf_papers]
                positives = list(dict.fromkeys(positives + prf.tolist()))
        if not positives:
            # Not one known word, seed paper or category: ranking on it would be random papers.
            return None
        kind = "topic" if not own else ("keywords" if topic.keywords else "categories")
        # The reader's own words name the interest (explanations and digest headings say it).
        name = {"keywords": ", ".join(words), "categories": ", ".join(topic.categories)}
        model = self._from_papers(
            name.get(kind, topic.name), kind, positives, disliked, qv=qv, qt=qt
        )
        model.categories = frozenset(topic.categories)
        model.exemplar_ids = [cat.ids[i] for i in cat.rows(topic.seed_ids)[0]]
        return model

    def _from_papers(
        self,
        name: str,
        kind: str,
        positives: list[int],
        disliked: list[int],
        qv: np.ndarray | None = None,
        qt: sp.csr_matrix | None = None,
    ) -> InterestModel:
        cat, s = self.catalogue, self.settings
        V = cat.vectors
        bg = np.setdiff1d(self.background, positives + disliked)
        w_lr, cats = self._logreg(positives, bg, disliked)
        centroid = V[positives].mean(axis=0)
        Vb = V[bg]
        # One scale for the whole logit (text and categories), so "one spread" means the same.
        lr_scale = 1.0 / _spread(Vb @ w_lr + self._category_scores(cats, bg))
        # Rounded: they are stored as text in the model's header (float32 precision anyway).
        cats = {c: round(v * lr_scale, 5) for c, v in cats.items()}
        w = w_lr * lr_scale + s.centroid_weight * centroid / _spread(Vb @ centroid)
        if qv is not None:
            w += s.query_weight * qv / _spread(Vb @ qv)
        if disliked:
            # "Less like this" must show in the next digest: one disliked paper among a
            # thousand background ones barely moves the regression, so papers like the
            # disliked ones are also pushed down directly, in calibrated units.
            away = V[disliked].mean(axis=0)
            w -= s.dislike_weight * away / _spread(Vb @ away)
        # The exact-word model learns from real liked papers only: pseudo-relevant papers of a
        # keyword interest already share its words, and a few papers give it too little evidence
        # (its weight grows with their number up to `sparse_full_at`).
        sparse = s.sparse_weight > 0 and kind == "liked" and len(bg) + len(disliked) > 0
        if sparse:
            terms = self._sparse_terms(positives, bg, disliked, qt)
            weight = s.sparse_weight * min(1.0, len(positives) / max(1, s.sparse_full_at))
        else:
            terms, weight = self._terms(positives, qt), s.term_weight
        t_scores = _dense(cat.terms[bg] @ _term_vector(terms, cat.terms.shape[1]).T)
        scale = weight / _spread(t_scores)
        total = Vb @ w + t_scores * scale + self._category_scores(cats, bg)
        ids = [cat.ids[i] for i in positives[-EXEMPLARS:]]
        return InterestModel(
            name=name,
            kind=kind,
            weights=w.astype(np.float32),
            term_ids=np.fromiter(terms.keys(), np.int32, len(terms)),
            term_weights=np.fromiter(terms.values(), np.float32, len(terms)),
            term_scale=scale,
            # No background papers (a catalogue of only this interest's own): centre on zero.
            mu=float(total.mean()) if len(total) else 0.0,
            sigma=_spread(total),
            exemplar_ids=ids,
            category_weights=cats,
        )

    def _logreg(
        self, positives: list[int], bg: np.ndarray, disliked: list[int]
    ) -> tuple[np.ndarray, dict[str, float]]:
        """Weights over the text vector, and over the categories the training papers carry."""
        s = self.settings
        V = self.catalogue.vectors
        if len(bg) + len(disliked) == 0:
            return V[positives].mean(axis=0), {}
        rows, y, sw = _training(positives, bg, disliked)
        X = V[rows]
        names: list[str] = []
        if s.category_scale:
            onehot = self.category_onehot[rows]
            # The categories these papers carry, in name order (the regression's columns).
            present = np.unique(onehot.indices)
            present = present[np.argsort(self.category_names[present], kind="stable")]
            names = self.category_names[present].tolist()
            if names:
                X = np.hstack([X, onehot[:, present].toarray() * np.float32(s.category_scale)])
        clf = LogisticRegression(C=s.C, max_iter=300)
        clf.fit(X, y, sample_weight=sw)
        coef = clf.coef_.ravel()
        dim = V.shape[1]
        cw = coef[dim:] * s.category_scale
        keep = np.argsort(-np.abs(cw), kind="stable")[: s.max_categories]
        cats = {names[k]: float(cw[k]) for k in keep.tolist() if abs(cw[k]) > 1e-6}
        return coef[:dim].astype(np.float32), cats

    def _category_scores(self, weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
        """The category part of the logit for catalogue rows: the sum of their categories'
        weights."""
        if not weights:
            return np.zeros(len(rows), np.float32)
        w = np.zeros(len(self.category_index))
        for c, v in weights.items():
            w[self.category_index[c]] = v
        return np.asarray(self.category_onehot[rows] @ w, np.float32).ravel()

    def _sparse_terms(
        self, positives: list[int], bg: np.ndarray, disliked: list[int], qt: sp.csr_matrix | None
    ) -> dict[int, float]:
        """Logistic regression on word tf-idf (arxiv-sanity-lite's signal): exact words and
        phrases that the dense space blurs. Only its largest positive weights are kept, so the
        interest stays a short sparse vector (fast to score, and the words explanations quote)."""
        T, s = self.catalogue.terms, self.settings
        rows, y, sw = _training(positives, bg, disliked)
        clf = LogisticRegression(C=s.sparse_C, max_iter=300, solver="liblinear")
        clf.fit(T[rows], y, sample_weight=sw)
        coef = clf.coef_.ravel()
        top = np.argpartition(-coef, min(s.sparse_terms, len(coef) - 1))[: s.sparse_terms]
        return _with_query({int(k): float(coef[k]) for k in top if coef[k] > 0}, qt)

    def _terms(self, positives: list[int], qt: sp.csr_matrix | None) -> dict[int, float]:
        cat = self.catalogue
        c = np.asarray(cat.terms[positives].mean(axis=0)).ravel()
        # A term counts when at least two positives share it (or the only one has it).
        shared = np.asarray((cat.terms[positives] > 0).sum(axis=0)).ravel()
        c[shared < min(2, len(positives))] = 0
        top = np.argsort(-c)[: self.settings.max_terms]
        return _with_query({int(k): float(c[k]) for k in top if c[k] > 0}, qt)

    def _category_rows(self, cats: frozenset[str]) -> list[int]:
        rows = [i for i, c in enumerate(self.catalogue.categories) if c & cats]
        return rows[-self.settings.category_papers :]

    def _term_rows(self, words: Sequence[str]) -> list[int]:
        words = [w for w in words if w.strip()]
        if not words:
            return []
        return sorted({int(k) for k in self.term_index.transform(words).indices})

    def _zero(self, name: str, kind: str) -> InterestModel:
        """An interest scored only by rank-time matches (followed authors)."""
        return InterestModel(
            name=name, kind=kind, weights=np.zeros(self.catalogue.vectors.shape[1], np.float32)
        )


def _papers_name(chosen: bool, liked: bool) -> str:
    """The interest learnt from the reader's papers, named by where they came from: typed in
    at sign-up (chosen) or marked "more like this" in a digest (liked)."""
    if chosen and liked:
        return "papers you chose and liked"
    return "papers you chose" if chosen else "papers you liked"


def default_fit_settings(encoder: Encoder) -> FitSettings:
    """The fit of each configuration. LSA alone (the benchmark baseline) gains from the exact-word
    model (seed 13, titles-only CiteULike 0.168 -> 0.214 nDCG@20); beside MiniLM (what Paperboy
    ranks with) it lost (CiteULike with abstracts 0.427 -> 0.418), so there it is off."""
    return FitSettings(
        sparse_weight=LIGHT_SPARSE_WEIGHT if isinstance(encoder, LsaEncoder) else 0.0
    )


def fit_profile_model(
    profile: Profile,
    catalogue: PaperSpace,
    encoder: Encoder,
    term_index: TermIndex,
    settings: FitSettings | None = None,
) -> SubscriberModel:
    """One subscriber's model; for many, build one `ProfileFitter` and call `fit` on each."""
    return ProfileFitter(catalogue, encoder, term_index, settings).fit(profile)


def _training(
    positives: list[int], bg: np.ndarray, disliked: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Catalogue rows, labels and sample weights of an interest's regressions: balanced classes,
    and a disliked paper counts as much as five background ones."""
    rows = np.r_[positives, bg, disliked].astype(np.int64)
    y = np.r_[np.ones(len(positives)), np.zeros(len(bg) + len(disliked))]
    wp = len(y) / (2 * len(positives))
    wn = len(y) / (2 * (len(bg) + 5 * len(disliked)))
    sw = np.r_[np.full(len(positives), wp), np.full(len(bg), wn), np.full(len(disliked), 5 * wn)]
    return rows, y, sw


def _with_query(terms: dict[int, float], qt: sp.csr_matrix | None) -> dict[int, float]:
    """The interest's own keywords added to its words, above the strongest learnt one."""
    if qt is not None and qt.nnz:
        peak = max(terms.values(), default=1.0)
        for k, v in zip(qt.indices, qt.data, strict=True):
            terms[int(k)] = terms.get(int(k), 0.0) + 2 * peak * float(v)
    return terms


def _z(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-9)


def _spread(v: np.ndarray) -> float:
    sd = float(np.std(v)) if len(v) else 0.0
    return sd if sd > 1e-9 else 1.0


def _dense(m: sp.spmatrix | np.ndarray) -> np.ndarray:
    if isinstance(m, np.ndarray):
        return m.ravel()
    return np.asarray(m.toarray()).ravel()


def _term_vector(terms: dict[int, float], size: int) -> sp.csr_matrix:
    keys = np.fromiter(terms.keys(), dtype=np.int64, count=len(terms))
    vals = np.fromiter(terms.values(), dtype=np.float32, count=len(terms))
    return sp.csr_matrix((vals, (np.zeros(len(keys), np.int64), keys)), shape=(1, size))


def profile_seed(profile_id: str) -> int:
    return int.from_bytes(hashlib.sha256(profile_id.encode()).digest()[:4], "little")
