"""The shipped configurations: which encoders, fitted how. One place, used by every caller."""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ranking.core.encoders import ConcatEncoder, Encoder, LsaEncoder
from ranking.core.minilm import MiniLMEncoder

# "minilm" is what Paperboy ranks with: MiniLM sentence embeddings beside LSA (whose word index
# also serves keywords and explanations). "lsa" is LSA alone, kept only as the baseline that the
# benchmarks measure against in the same run; it is not a setting of the service.
CONFIGS = ("minilm", "lsa")
DEFAULT_CONFIG = "minilm"
LSA_WEIGHT = 0.8  # the LSA block beside MiniLM's (measured: +0.01 nDCG@20, docs/benchmarks.md)


def build_encoder(
    config: str,
    catalogue_texts: Sequence[str],
    cache_dir: str | Path | None = None,
) -> tuple[Encoder, LsaEncoder]:
    """The encoder of a configuration, fitted on the catalogue, and its LSA part (term index)."""
    if config not in CONFIGS:
        raise ValueError(f"unknown ranking configuration {config!r}: choose one of {CONFIGS}")
    lsa = LsaEncoder().fit(catalogue_texts)
    if config == "lsa":
        return lsa, lsa
    return combined(lsa, MiniLMEncoder(), cache_dir), lsa


def combined(
    lsa: LsaEncoder, sentence: MiniLMEncoder, cache_dir: str | Path | None = None
) -> ConcatEncoder:
    """MiniLM (cached on disk by text) beside a fitted LSA; queries use MiniLM alone."""
    sentence.ensure_available()  # fail now, with the fix in the message, before any work
    return ConcatEncoder([(CachedEncoder(sentence, cache_dir), 1.0), (lsa, LSA_WEIGHT)])


class CachedEncoder:
    """Remembers encodings by text hash in an .npz directory: a restarted process does not
    re-encode the catalogue (MiniLM costs about a minute per 1,000 abstracts)."""

    def __init__(self, encoder: Encoder, directory: str | Path | None = None) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.directory = Path(directory) if directory else None
        self.memo: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def fingerprint(self) -> str:
        return self.encoder.fingerprint()

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_query(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode(), usedforsecurity=False).hexdigest() for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.memo]
        if todo and self.directory is not None:
            self._load_disk()
            todo = [i for i, k in enumerate(keys) if k not in self.memo]
        if todo:
            fresh = self.encoder.encode([texts[i] for i in todo])
            for i, v in zip(todo, fresh, strict=True):
                self.memo[keys[i]] = v
            self._save_disk()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack([self.memo[k] for k in keys]).astype(np.float32)

    def _file(self) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{self.encoder.fingerprint().replace(':', '-')}.npz"

    def _load_disk(self) -> None:
        f = self._file()
        if f is None or not f.is_file():
            return
        try:
            with np.load(f, allow_pickle=False) as z:
                self.memo.update(zip(z["keys"].tolist(), z["vectors"], strict=True))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            # Only a cache: a damaged file (a full disk, an old format) costs re-encoding.
            return

    def _save_disk(self) -> None:
        f = self._file()
        if f is None or len(self.memo) < 50:
            return
        f.parent.mkdir(parents=True, exist_ok=True)
        # Several workers share the directory: each writes its own temporary file and renames
        # it, so a reader never sees half a file (the last writer's complete file wins).
        tmp = f.with_name(f".{f.stem}.{os.getpid()}.{threading.get_ident()}.npz")
        np.savez(tmp, keys=np.array(list(self.memo)), vectors=np.vstack(list(self.memo.values())))
        tmp.replace(f)
