"""The fitted text encoder and the encoded catalogue that every subscriber model is fit against.

The encoder is fit on the catalogue on first use, saved under RANKING_MODEL_DIR, and kept until
the catalogue outgrows it. Subscriber models record its fingerprint, so a new encoder needs every
model refit: `encoder_switch.py` fits the next encoder and the models beside the current ones,
then switches in one transaction, so the nightly run never refits them all at once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import QuerySet

from ranking import core
from ranking.models import Paper, SubscriberModel

_lock = threading.Lock()
# Refit when the catalogue doubled, but not for a handful of papers.
REFIT_MIN_GROWTH = 200
_cache: dict[str, object] = {}


@dataclass
class Workspace:
    """The encoder (dense vectors), its term index (keywords, explanations) and the catalogue."""

    encoder: core.Encoder
    lsa: core.LsaEncoder
    catalogue: core.PaperSpace

    @property
    def fingerprint(self) -> str:
        return self.encoder.fingerprint()


def encoder_path() -> Path:
    return Path(settings.RANKING_MODEL_DIR) / "lsa-encoder.pickle"


def next_encoder_path() -> Path:
    """The encoder being prepared (encoder_switch.py) until it replaces the current one."""
    return Path(settings.RANKING_MODEL_DIR) / "lsa-encoder.next.pickle"


def core_paper(paper: Paper) -> core.Paper:
    return core.Paper(
        id=str(paper.pk),
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(paper.authors or ()),
        categories=tuple(paper.categories or ()),
        trending=paper.upvotes or 0,
    )


def core_papers(papers: Iterable[Paper]) -> list[core.Paper]:
    return [core_paper(p) for p in papers]


def fit_encoder(path: Path | None = None) -> core.LsaEncoder:
    """Fit the LSA encoder on the whole catalogue and save it at `path` (the current encoder's
    by default); minutes at 100,000 papers."""
    texts = [p.text for p in core_papers(_catalogue_queryset())]
    if not texts:
        raise core.EncoderUnavailable("the catalogue is empty: ingest or load papers first")
    lsa = core.LsaEncoder().fit(texts)
    path = path or encoder_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # The count first: the encoder file (written atomically) is what says the fit finished.
    _fitted_on_path(path).write_text(str(len(texts)))
    lsa.save(path)
    _cache.clear()
    return lsa


def _fitted_on_path(path: Path | None = None) -> Path:
    return (path or encoder_path()).with_suffix(".papers")


def promote_next_encoder() -> None:
    """The prepared encoder becomes the current one (a rename each: atomic on one filesystem)."""
    nxt = next_encoder_path()
    if _fitted_on_path(nxt).is_file():
        _fitted_on_path(nxt).replace(_fitted_on_path())
    nxt.replace(encoder_path())
    _cache.clear()


def next_workspace() -> Workspace:
    """The prepared encoder with the whole catalogue encoded by it (not cached: it is used by
    the switch only, in one process)."""
    lsa = core.LsaEncoder.load(next_encoder_path())
    encoder = _encoder_for(lsa)
    papers = core_papers(_catalogue_queryset().order_by("pk"))
    return Workspace(encoder, lsa, core.encode_papers(papers, encoder, lsa.words))


def outgrown() -> bool:
    """The catalogue has at least doubled since the encoder was fit: its vocabulary is too
    small for it (a fresh install fits on the demo papers, then ingests thousands)."""
    try:
        fitted_on = int(_fitted_on_path().read_text())
    except (OSError, ValueError):
        return True
    return Paper.objects.count() >= max(2 * fitted_on, fitted_on + REFIT_MIN_GROWTH)


def models_behind() -> bool:
    """Stored models fitted with another encoder than the current one: an upgrade changed the
    sentence encoder (its fingerprint is part of every model's). They are prepared beside the
    current ones by the same switch as for an outgrown encoder, not refit inside a night."""
    lsa = saved_encoder()
    if lsa is None:
        return False
    current = _encoder_for(lsa).fingerprint()
    return SubscriberModel.objects.exclude(encoder=current).exists()


def workspace() -> Workspace:
    """The process-wide workspace; re-encodes only papers added since it was built."""
    with _lock:
        lsa = _load_or_fit()
        encoder = _encoder_for(lsa)
        cached = _cache.get("workspace")
        if isinstance(cached, Workspace) and cached.fingerprint == encoder.fingerprint():
            newest = int(cached.catalogue.ids[-1]) if len(cached.catalogue) else 0
            added = list(_catalogue_queryset().filter(pk__gt=newest).order_by("pk"))
            if added:
                fresh = core.encode_papers(core_papers(added), encoder, lsa.words)
                cached.catalogue = _concat(cached.catalogue, fresh)
            return cached
        papers = core_papers(_catalogue_queryset().order_by("pk"))
        result = Workspace(encoder, lsa, core.encode_papers(papers, encoder, lsa.words))
        _cache["workspace"] = result
        return result


def current_encoder() -> tuple[core.Encoder, core.LsaEncoder]:
    """The current encoder and its LSA (fitting one if none was), without encoding the whole
    catalogue: for callers that encode a few papers of their own (the interest check)."""
    with _lock:
        lsa = _load_or_fit()
        return _encoder_for(lsa), lsa


def encode(papers: Sequence[Paper], ws: Workspace) -> core.PaperSpace:
    """Candidates as a space: rows reused from the catalogue when it has them."""
    rows, _ = ws.catalogue.rows(str(p.pk) for p in papers)
    if len(rows) == len(papers):
        return ws.catalogue.subset(rows)
    return core.encode_papers(core_papers(papers), ws.encoder, ws.lsa.words)


def _concat(a: core.PaperSpace, b: core.PaperSpace) -> core.PaperSpace:
    """Papers ingested since the catalogue was encoded, appended (ids stay in pk order)."""
    return core.PaperSpace(
        ids=a.ids + b.ids,
        vectors=np.vstack([a.vectors, b.vectors]),
        terms=sp.csr_matrix(sp.vstack([a.terms, b.terms])),
        titles=a.titles + b.titles,
        categories=a.categories + b.categories,
        authors=a.authors + b.authors,
        trending=np.concatenate([a.trending, b.trending]),
        fingerprint=a.fingerprint,
        vocabulary=a.vocabulary,
    )


def _load_or_fit() -> core.LsaEncoder:
    path = encoder_path()
    # Only a missing encoder is fit here; one the catalogue outgrew is replaced by the switch.
    if not path.is_file():
        fit_encoder()
    return _load(path)


def saved_encoder() -> core.LsaEncoder | None:
    """The current encoder if one was fit (never fits one: for pages that only show things)."""
    path = encoder_path()
    with _lock:
        return _load(path) if path.is_file() else None


def _load(path: Path) -> core.LsaEncoder:
    # Keyed by path and modification time: a `fit_encoder` in another process is picked up.
    key = (path, path.stat().st_mtime_ns)
    cached = _cache.get("lsa")
    if isinstance(cached, core.LsaEncoder) and _cache.get("lsa_key") == key:
        return cached
    lsa = core.LsaEncoder.load(path)
    _cache.update(lsa=lsa, lsa_key=key)
    return lsa


def _encoder_for(lsa: core.LsaEncoder) -> core.Encoder:
    """The combined encoder of this LSA, kept while the LSA is current: its encoding cache is
    read from disk once per process, not again at every chunk that finds new papers."""
    cache_dir = Path(settings.RANKING_MODEL_DIR) / "minilm-cache"
    cached = _cache.get("encoder")
    if isinstance(cached, tuple) and cached[0] is lsa and cached[1] == cache_dir:
        return cached[2]
    encoder = core.configs.combined(lsa, sentence_encoder(), cache_dir)
    _cache["encoder"] = (lsa, cache_dir, encoder)
    return encoder


@functools.cache
def sentence_encoder() -> core.MiniLMEncoder:
    """One per process: it holds the loaded model and remembers recent encodings (a refit LSA
    does not change it)."""
    return core.MiniLMEncoder(threads=settings.RANKING_ENCODER_THREADS)


def _catalogue_queryset() -> QuerySet[Paper]:
    return Paper.objects.only("pk", "title", "abstract", "authors", "categories", "upvotes")
