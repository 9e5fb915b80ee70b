"""The shipped configurations: which encoders, fitted how. One place, used by every caller."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ranking.core.encoders import ConcatEncoder, Encoder, LsaEncoder, MiniLMEncoder

# light: scikit-learn only (the quick start). semantic: MiniLM sentence embeddings beside LSA
# (the `semantic` extra; recommended for production).
CONFIGS = ("light", "semantic")
LSA_WEIGHT_IN_SEMANTIC = 0.8


def build_encoder(
    config: str, catalogue_texts: Sequence[str], cache_dir: str | Path | None = None
) -> tuple[Encoder, LsaEncoder]:
    """The encoder of a configuration, fitted on the catalogue, and its LSA part (term index)."""
    if config not in CONFIGS:
        raise ValueError(f"unknown ranking configuration {config!r}: choose one of {CONFIGS}")
    lsa = LsaEncoder().fit(catalogue_texts)
    if config == "light":
        return lsa, lsa
    semantic = MiniLMEncoder()
    semantic.ensure_available()  # fail now, with the install hint, before any work
    minilm = CachedEncoder(semantic, cache_dir)
    return ConcatEncoder([(minilm, 1.0), (lsa, LSA_WEIGHT_IN_SEMANTIC)]), lsa


class CachedEncoder:
    """Remembers encodings by text hash in an .npz directory (MiniLM costs ~1 min per 1,000)."""

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
        if f is not None and f.is_file():
            with np.load(f, allow_pickle=False) as z:
                self.memo.update(zip(z["keys"].tolist(), z["vectors"], strict=True))

    def _save_disk(self) -> None:
        f = self._file()
        if f is None or len(self.memo) < 50:
            return
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, keys=np.array(list(self.memo)), vectors=np.vstack(list(self.memo.values())))
