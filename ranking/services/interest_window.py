"""What the interest check scores against, kept per process: the window's papers (the last days'
candidates, as `recommend.candidate_papers` selects them) and a fixed background sample of the
catalogue, both encoded, plus the vocabulary's bigrams for advice.

Encoding is the costly part (MiniLM, ~40 ms a paper when its cache misses), so a window is
rebuilt only when its papers change (key: its bounds, count, newest `first_seen` and largest
primary key), and then re-encodes only the papers the previous window did not have. Memory is
bounded: at most `MAX_WINDOWS` windows of at most `MAX_WINDOW` papers each (a fresh install that
imports its whole backlog in one day is counted on its newest `MAX_WINDOW` papers, scaled).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic

import numpy as np
import scipy.sparse as sp
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from ranking import core
from ranking.core.words import GENERIC, tokens
from ranking.models import Paper
from ranking.services import encoding
from ranking.services.recommend import candidate_window

BACKGROUND = 1000  # catalogue papers the scores are standardised against (as model.py fits)
MAX_WINDOW = 20_000  # window papers kept encoded (20 days of a busy arXiv feed)
MAX_WINDOWS = 2  # windows kept per process (the daily and the weekly digest's)
# Seconds a window is used without asking the database whether its papers changed: new papers
# arrive in batches a few times a day, and the question costs a query (~2-10 ms) per check.
RECHECK_SECONDS = 60.0

_lock = threading.Lock()
_windows: OrderedDict[int, Window] = OrderedDict()
_backgrounds: list[Background] = []


@dataclass
class Encoded:
    """Papers encoded, with which terms each contains (for exact-word coverage and advice)."""

    space: core.PaperSpace
    query_dim: int  # the leading columns a query fills (query_dim(encoder))
    sentence: np.ndarray = field(init=False)  # (papers, query_dim)
    present: sp.csr_matrix = field(init=False)  # (papers, vocabulary) 1 where a term occurs
    by_term: sp.csc_matrix = field(init=False)  # the same, column-major
    df: np.ndarray = field(init=False)  # papers containing each term

    def __post_init__(self) -> None:
        # Queries fill only the sentence block (ConcatEncoder.encode_query): a contiguous copy
        # of it halves the product's memory traffic (10 MB at 7,000 papers, not 18).
        self.sentence = np.ascontiguousarray(self.space.vectors[:, : self.query_dim])
        self.present = self.space.terms.copy()
        self.present.data[:] = 1
        self.by_term = self.present.tocsc()
        self.df = np.asarray(self.present.sum(axis=0)).ravel()

    def coverage(self, known: sp.csr_matrix) -> np.ndarray:
        """(papers, queries): the share of each query's terms (rows of `known`, 0/1 over the
        vocabulary) that each paper contains."""
        cols = np.unique(known.indices)
        if not len(cols):
            return np.zeros((len(self.space), known.shape[0]), np.float32)
        # A few columns of the column-major copy: cheap whatever the vocabulary's size (a
        # sparse product with the whole matrix cost ~20 ms a call at 7,000 papers).
        hits = self.by_term[:, cols].toarray() @ known[:, cols].toarray().T
        return hits / np.maximum(known.getnnz(axis=1), 1)


@dataclass
class Window(Encoded):
    key: tuple[object, ...] = ()
    lsa: core.LsaEncoder | None = None
    total: int = 0  # papers in the window; the space holds min(total, MAX_WINDOW) of them
    checked: float = field(default_factory=monotonic)  # when the key was last compared
    pks: np.ndarray = field(init=False)
    by_category: dict[str, np.ndarray] = field(init=False)
    by_author: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pks = np.array([int(i) for i in self.space.ids], dtype=np.int64)
        self.by_category = _index_sets(
            [frozenset(c.lower() for c in cats) for cats in self.space.categories]
        )
        self.by_author = _index_sets(self.space.authors)

    @property
    def scale(self) -> float:
        """Counts over the encoded papers times this estimate counts over the whole window."""
        return self.total / len(self.space) if len(self.space) else 1.0


@dataclass
class Background(Encoded):
    lsa: core.LsaEncoder | None = None
    doc_share: dict[str, float] = field(default_factory=dict)  # word -> share of papers with it
    # word -> vocabulary columns of the quotable bigrams that contain it (advice)
    bigrams: dict[str, np.ndarray] = field(default_factory=dict)
    quotable: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # bigram columns


def query_dim(encoder: core.Encoder) -> int:
    """How many leading columns `encoder.encode_query` fills (the rest are zero)."""
    if isinstance(encoder, core.ConcatEncoder):
        return sum(e.dim for e, _ in encoder.parts[: encoder.query_parts])
    return encoder.dim


def window_bounds(days: int) -> tuple[datetime, datetime]:
    """The same days as `recommend.candidate_papers(today, days)`: to the end of today (UTC)."""
    return candidate_window(timezone.now().date(), days)


def window(days: int, encoder: core.Encoder, lsa: core.LsaEncoder) -> Window:
    """The last `days` days' papers, encoded (one indexed query when nothing changed)."""
    start, end = window_bounds(days)
    cached = _windows.get(days)
    if (
        cached is not None
        and cached.lsa is lsa
        and cached.key[0] == start
        and monotonic() - cached.checked < RECHECK_SECONDS
    ):
        return cached
    papers = Paper.objects.filter(first_seen__gte=start, first_seen__lt=end)
    stats = papers.aggregate(n=Count("pk"), newest=Max("first_seen"), top=Max("pk"))
    key = (start, stats["n"], stats["newest"], stats["top"])
    with _lock:
        cached = _windows.get(days)
        if cached is not None and cached.key == key and cached.lsa is lsa:
            cached.checked = monotonic()
            _windows.move_to_end(days)
            return cached
        reuse = [w for w in _windows.values() if w.lsa is lsa]
        built = _build_window(papers, key, stats["n"], encoder, lsa, reuse)
        _windows[days] = built
        _windows.move_to_end(days)
        while len(_windows) > MAX_WINDOWS:
            _windows.popitem(last=False)
        return built


def background(encoder: core.Encoder, lsa: core.LsaEncoder) -> Background:
    """A fixed sample of the catalogue, drawn once per encoder: a refit encoder (the catalogue
    doubled, encoding.outgrown) draws a new one."""
    with _lock:
        if _backgrounds and _backgrounds[0].lsa is lsa:
            return _backgrounds[0]
        pks = np.fromiter(Paper.objects.values_list("pk", flat=True), dtype=np.int64)
        rng = np.random.default_rng(0)
        sample = rng.choice(pks, size=min(len(pks), BACKGROUND), replace=False)
        papers = _fields(Paper.objects.filter(pk__in=np.sort(sample).tolist()).order_by("pk"))
        space = core.encode_papers(encoding.core_papers(papers), encoder, lsa.words)
        bigrams, quotable = _bigram_index(lsa.words.terms)
        share = _doc_share(f"{p.title}. {p.abstract}" for p in papers)
        built = Background(
            space, query_dim(encoder), lsa=lsa, doc_share=share, bigrams=bigrams,
            quotable=quotable,
        )  # fmt: skip
        _backgrounds[:] = [built]
        return built


def clear() -> None:
    """Forget every cached window and background (tests; the encoder identity covers a refit)."""
    with _lock:
        _windows.clear()
        _backgrounds.clear()


def _build_window(
    papers: QuerySet[Paper], key: tuple[object, ...], total: int, encoder: core.Encoder,
    lsa: core.LsaEncoder, reuse: list[Window],
) -> Window:  # fmt: skip
    pks = list(papers.order_by("-pk").values_list("pk", flat=True)[:MAX_WINDOW])
    parts, missing = [], set(pks)
    for old in reuse:
        rows, _ = old.space.rows(str(pk) for pk in missing)
        if rows:
            parts.append(old.space.subset(rows))
            missing -= {int(old.space.ids[i]) for i in rows}
    fresh = _fields(Paper.objects.filter(pk__in=sorted(missing)).order_by("pk"))
    parts.append(core.encode_papers(encoding.core_papers(fresh), encoder, lsa.words))
    return Window(_concat(parts), query_dim(encoder), key=key, lsa=lsa, total=total)


def _fields(papers: QuerySet[Paper]) -> list[Paper]:
    return list(papers.only("pk", "title", "abstract", "authors", "categories", "upvotes"))


def _concat(parts: list[core.PaperSpace]) -> core.PaperSpace:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return core.PaperSpace(
        ids=[i for p in parts for i in p.ids],
        vectors=np.vstack([p.vectors for p in parts]),
        terms=sp.csr_matrix(sp.vstack([p.terms for p in parts])),
        titles=[t for p in parts for t in p.titles],
        categories=[c for p in parts for c in p.categories],
        authors=[a for p in parts for a in p.authors],
        trending=np.concatenate([p.trending for p in parts]),
        fingerprint=first.fingerprint,
        vocabulary=first.vocabulary,
    )


def _index_sets(sets: list[frozenset[str]]) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {}
    for i, values in enumerate(sets):
        for v in values:
            rows.setdefault(v, []).append(i)
    return {k: np.array(v, dtype=np.int64) for k, v in rows.items()}


def _doc_share(texts: Iterable[str]) -> dict[str, float]:
    """Share of the papers whose text has each word: tells a word the term index dropped for
    being in too many papers (max_df) from one it never saw (a typo, a made-up word)."""
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        counts.update({w for run in tokens(text) for w in run})
    return {w: c / n for w, c in counts.items()} if n else {}


def _bigram_index(terms: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """For each word, the vocabulary's bigrams that pair it with a word that says something
    (not a generic word such as "based" or "proposed", not a number): the narrower phrases
    advice may suggest for it ("learning" -> "reinforcement learning"). And the bigrams of two
    such words, for advice that starts from no word (a category)."""
    by_word: dict[str, list[int]] = {}
    quotable = np.zeros(len(terms), dtype=bool)
    for col, term in enumerate(terms.tolist()):
        a, _, b = term.partition(" ")
        if not b:
            continue
        telling_a = a not in GENERIC and not a.isdigit()
        telling_b = b not in GENERIC and not b.isdigit()
        if telling_a:
            by_word.setdefault(b, []).append(col)
        if telling_b:
            by_word.setdefault(a, []).append(col)
        quotable[col] = telling_a and telling_b
    return {w: np.array(c, dtype=np.int64) for w, c in by_word.items()}, quotable
