"""The interest check (issue #16): for each interest a reader typed, how many of the last days'
papers it would have matched, up to three examples, and one plain sentence when it is too broad
or matches nothing. Sign-up and the preference centre show it, so a warm process answers in
milliseconds: the window and background are encoded once (interest_window.py), and a call
encodes only the interests' words (one batch) and does a few matrix products.

Words (keyword lines, topics) are scored as the ranking starts a keyword interest
(ranking/core/model.py `_from_topic`): the query's sentence vector against the papers' vectors,
standardised against the background sample, plus a bonus for papers that contain the query's
exact terms, standardised again, so a score is "standard deviations above a typical catalogue
paper", the unit of settings.RANKING_SCORE_FLOOR. docs/ranking.md has the thresholds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from ranking import core
from ranking.core.space import normalise_name
from ranking.core.words import tokens
from ranking.models import Paper
from ranking.services import encoding
from ranking.services import interest_window as iw
from subscriptions.arxiv_ids import InvalidArxivIdError, parse_arxiv_id
from subscriptions.models import Topic

logger = logging.getLogger(__name__)

# A paper matches when its score clears the nightly floor by this much: the digest takes the
# day's best papers above the floor, the check counts papers without that competition, so it
# asks a little more. Measured on arXiv abstracts (bench/interest_check.py, floor 2.0): papers
# scoring near 2.5 read as on topic ("dense retrieval": learning to rank, image retrieval),
# those near 2.0 mostly not (knowledge distillation).
MATCH_MARGIN = 0.5
# Bonus, in standard deviations, of a paper with all the query's exact terms (as a share).
TERM_BONUS = 1.0
# Broad: matches, or papers containing every exact term, above this share of the window.
BROAD_SHARE = 0.25
# A word the term index dropped is "common" (dropped for max_df: in too many papers) when at
# least this share of the background papers have it; otherwise the index never saw it.
COMMON_SHARE = 0.1
EXAMPLES = 3

KINDS = ("keyword", "topic", "category", "author", "paper")
VERDICTS = ("ok", "broad", "none", "unchecked")
UNCHECKED = "The interest check is unavailable right now; your interests are kept as typed."
NO_PAPERS = "There are no papers in the catalogue yet: the check counts them once ingested."


@dataclass(frozen=True)
class InterestReport:
    text: str  # the interest as the reader typed it (a topic: its name)
    kind: str  # one of KINDS
    matched: int  # papers of the last `days` days it would have matched
    days: int
    examples: list[Paper] = field(default_factory=list)  # up to 3, best first
    verdict: str = "ok"  # one of VERDICTS ("unchecked": the sentence model is missing)
    advice: str = ""  # one plain sentence; "" when ok


@dataclass(frozen=True)
class _Query:
    """One interest to score by its words."""

    text: str
    kind: str
    query: str  # what is encoded: the line, or a topic's name and keywords


@dataclass
class _Found:
    """What the scoring found for one interest, before it is worded."""

    matched: int
    rows: list[int]  # window rows, best first (examples)
    verdict: str
    advice: str = ""


def check_interests(
    keywords: Sequence[str],
    topics: Sequence[Topic] = (),
    categories: Sequence[str] = (),
    authors: Sequence[str] = (),
    seed_papers: Sequence[str] = (),
    days: int = 7,
) -> list[InterestReport]:
    """One report per non-blank interest, in the order: keywords, topics, categories, authors,
    seed papers. Never raises for a missing model or an empty catalogue: those give every
    interest verdict "unchecked" / "none" with a sentence that says so."""
    queries = [_Query(k.strip(), "keyword", k.strip()) for k in keywords if k.strip()]
    queries += [_Query(t.name, "topic", _topic_query(t)) for t in topics]
    plain = [("category", c.strip()) for c in categories if c.strip()]
    plain += [("author", a.strip()) for a in authors if a.strip()]
    plain += [("paper", s.strip()) for s in seed_papers if s.strip()]
    texts = [(q.kind, q.text) for q in queries] + plain
    if not texts:
        return []
    if not Paper.objects.exists():
        return [InterestReport(t, k, 0, days, verdict="none", advice=NO_PAPERS) for k, t in texts]
    try:
        encoder, lsa = encoding.current_encoder()
        win = iw.window(days, encoder, lsa)
        if not len(win.space):
            quiet = f"No papers arrived in {_period(days)}: there is nothing to count yet."
            return [InterestReport(t, k, 0, days, verdict="none", advice=quiet) for k, t in texts]
        bg = iw.background(encoder, lsa)
        found = _score_words(queries, win, bg, encoder, lsa, days)
        found += [_check_plain(kind, text, win, bg, encoder, days) for kind, text in plain]
    except core.EncoderUnavailable as exc:
        logger.warning("interest check unavailable: %s", exc)
        return [
            InterestReport(t, k, 0, days, verdict="unchecked", advice=UNCHECKED) for k, t in texts
        ]
    return _reports(texts, found, win, days)


def _topic_query(topic: Topic) -> str:
    """The words the ranking encodes for a topic (model.py `_from_topic`)."""
    return " ; ".join(w for w in [topic.name, *topic.keywords] if w.strip())


def threshold() -> float:
    """The calibrated score a paper must reach to count as matched."""
    return float(settings.RANKING_SCORE_FLOOR) + MATCH_MARGIN


def _score_words(
    queries: list[_Query], win: iw.Window, bg: iw.Background, encoder: core.Encoder,
    lsa: core.LsaEncoder, days: int,
) -> list[_Found]:  # fmt: skip
    if not queries:
        return []
    texts = [q.query for q in queries]
    qv = encoder.encode_query(texts)  # one batch for every interest
    qt = lsa.words.transform(texts)
    known = sp.csr_matrix((qt > 0).astype(np.float32))
    cover = win.coverage(known)
    scores = _calibrated(win, bg, qv, cover, bg.coverage(known))
    exact = cover >= 1 - 1e-6  # papers with every exact term
    out = []
    for j, q in enumerate(queries):
        if not qt[j].nnz:
            # Not one word the term index knows: the ranking drops such an interest
            # (model.py returns no model for it), so it would have matched nothing.
            out.append(_unknown_words(q.query, bg, win, days))
            continue
        s = scores[:, j]
        rows = np.flatnonzero(s >= threshold())
        rows = rows[np.argsort(-s[rows], kind="stable")]
        share = max(len(rows), int(exact[:, j].sum())) / max(len(win.space), 1)
        out.append(_judge_words(q.query, rows, share, win, bg, qt[j], days))
    return out


def _calibrated(
    win: iw.Window, bg: iw.Background, qv: np.ndarray, cover: np.ndarray, cover_bg: np.ndarray
) -> np.ndarray:
    """(papers, queries) scores in standard deviations above the background's mean: the
    sentence similarity standardised, plus the exact-term bonus, standardised again."""
    q = np.ascontiguousarray(qv[:, : win.query_dim].T)  # the rest of a query is zero
    dense_bg = bg.sentence @ q
    mu, sd = dense_bg.mean(axis=0), _spread(dense_bg)
    total_bg = (dense_bg - mu) / sd + TERM_BONUS * cover_bg
    total = (win.sentence @ q - mu) / sd + TERM_BONUS * cover
    return (total - total_bg.mean(axis=0)) / _spread(total_bg)


def _spread(m: np.ndarray) -> np.ndarray:
    sd = m.std(axis=0) if len(m) else np.ones(m.shape[1])
    return np.where(sd > 1e-9, sd, 1.0)


def _judge_words(
    query: str, rows: np.ndarray, share: float, win: iw.Window, bg: iw.Background,
    qt: sp.csr_matrix, days: int,
) -> _Found:  # fmt: skip
    matched = round(len(rows) * win.scale)
    if share > BROAD_SHARE:
        words = _words(query)
        phrase = _narrower(words, rows if len(rows) else None, win, bg, exclude=qt.indices)
        advice = f"“{query}” matches {share:.0%} of the papers of {_period(days)}{_try(phrase)}"
        return _Found(matched, rows.tolist(), "broad", advice)
    if not len(rows):
        return _Found(0, [], "none", _nothing(query, days))
    return _Found(matched, rows.tolist(), "ok")


def _unknown_words(query: str, bg: iw.Background, win: iw.Window, days: int) -> _Found:
    words = _words(query)
    common = [w for w in words if bg.doc_share.get(w, 0.0) >= COMMON_SHARE]
    if words and len(common) == len(words):
        phrase = _narrower(words, None, win, bg)
        said = "is" if len(words) == 1 else "are"
        return _Found(0, [], "broad", f"“{query}” {said} in most papers{_try(phrase)}")
    return _Found(0, [], "none", _nothing(query, days))


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(w for run in tokens(text) for w in run))


def _narrower(
    words: list[str], rows: np.ndarray | None, win: iw.Window, bg: iw.Background,
    exclude: np.ndarray | None = None,
) -> str:  # fmt: skip
    """The catalogue's most frequent phrase with one of these words (or, with no words, any
    telling phrase) among these window papers (all of them when None)."""
    if words:
        cols = [bg.bigrams[w] for w in words if w in bg.bigrams]
        candidates = np.unique(np.concatenate(cols)) if cols else np.zeros(0, np.int64)
    else:
        candidates = np.flatnonzero(bg.quotable)
    if exclude is not None:
        candidates = np.setdiff1d(candidates, exclude)
    if not len(candidates):
        return ""
    # Summed over the papers first: slicing thousands of columns out of a CSR matrix is slow.
    df = win.df if rows is None else np.asarray(win.present[rows].sum(axis=0)).ravel()
    counts = df[candidates]
    if not counts.size or counts.max() < 2:
        return ""
    return str(bg.space.vocabulary[candidates[int(np.argmax(counts))]])


def _try(phrase: str) -> str:
    if phrase:
        return f": try a narrower phrase such as “{phrase}”."
    return ": add a more specific word or phrase."


def _nothing(text: str, days: int) -> str:
    return (
        f"Nothing in {_period(days)} matched “{text}”: check the spelling or try a broader phrase."
    )


def _period(days: int) -> str:
    return "the last day" if days == 1 else f"the last {days} days"


def _check_plain(
    kind: str, text: str, win: iw.Window, bg: iw.Background, encoder: core.Encoder, days: int
) -> _Found:
    if kind == "paper":
        return _check_paper(text, win, bg, encoder, days)
    key = text.lower() if kind == "category" else normalise_name(text)
    index = win.by_category if kind == "category" else win.by_author
    rows = index.get(key, np.zeros(0, np.int64))
    # Best first: the most discussed (trending), then the newest.
    rows = rows[np.lexsort((-win.pks[rows], -win.space.trending[rows]))]
    matched = round(len(rows) * win.scale)
    if not len(rows):
        if kind == "category":
            advice = f"No paper of {_period(days)} is in {text}: check the code (such as cs.LG)."
        else:
            advice = (
                f"No paper of {_period(days)} lists “{text}” as an author: check the spelling; "
                "their new papers will still be found."
            )
        return _Found(0, [], "none", advice)
    share = len(rows) / len(win.space)
    if kind == "category" and share > BROAD_SHARE:
        phrase = _narrower([], rows, win, bg)
        advice = f"{text} holds {share:.0%} of the papers of {_period(days)}{_keywords_to(phrase)}"
        return _Found(matched, rows.tolist(), "broad", advice)
    return _Found(matched, rows.tolist(), "ok")


def _keywords_to(phrase: str) -> str:
    if phrase:
        return f": add keywords to pick within it, such as “{phrase}”."
    return ": add keywords to pick within it."


def _check_paper(
    text: str, win: iw.Window, bg: iw.Background, encoder: core.Encoder, days: int
) -> _Found:
    """A seed paper: known or not, and the window papers close to it (as a liked paper pulls
    its neighbours up in the ranking)."""
    try:
        canonical = parse_arxiv_id(text)
    except InvalidArxivIdError:
        return _Found(0, [], "none", f"“{text}” is not an arXiv id or arXiv link.")
    paper = Paper.objects.only("pk", "title", "abstract").filter(canonical_id=canonical).first()
    if paper is None:
        return _Found(
            0, [], "none", f"{canonical} is not in the catalogue yet: it is used once ingested."
        )
    v = _paper_query(encoder, encoding.core_paper(paper).text)
    q = v[: win.query_dim]
    sims, sims_bg = win.sentence @ q, bg.sentence @ q
    s = (sims - sims_bg.mean()) / float(_spread(sims_bg[:, None])[0])
    rows = np.flatnonzero(s >= threshold())
    rows = rows[win.pks[rows] != paper.pk]
    rows = rows[np.argsort(-s[rows], kind="stable")]
    if not len(rows):
        advice = f"No paper of {_period(days)} is close to it; it still guides your digest."
        return _Found(0, [], "none", advice)
    return _Found(round(len(rows) * win.scale), rows.tolist(), "ok")


def _paper_query(encoder: core.Encoder, text: str) -> np.ndarray:
    """A paper as a query: its sentence vector in the layout of `encode_query` (the LSA block
    left at zero), read through the encoder's own cache, which holds every paper the
    catalogue encoded. Encoding it whole would cost ~300 ms (the LSA projection, the
    fingerprint) and encode_query bypasses that cache (~40 ms of MiniLM per abstract)."""
    if not isinstance(encoder, core.ConcatEncoder):
        return encoder.encode([text])[0]
    first, weight = encoder.parts[0]
    v = np.zeros(encoder.dim, np.float32)
    v[: first.dim] = weight * first.encode([text])[0]
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _reports(
    texts: list[tuple[str, str]], found: list[_Found], win: iw.Window, days: int
) -> list[InterestReport]:
    """The reports, with every example paper read in one query."""
    pks = [[int(win.space.ids[r]) for r in f.rows[:EXAMPLES]] for f in found]
    papers = Paper.objects.only("pk", "canonical_id", "title").in_bulk(
        sorted({pk for group in pks for pk in group})
    )
    return [
        InterestReport(
            text,
            kind,
            f.matched,
            days,
            [papers[pk] for pk in group if pk in papers],
            f.verdict,
            f.advice,
        )
        for (kind, text), f, group in zip(texts, found, pks, strict=True)
    ]
