"""Text encoders: texts in, L2-normalised float32 vectors out. No network, nothing downloaded.

`LsaEncoder` (scikit-learn only) is fitted on the catalogue: tf-idf over words and character
n-grams, reduced by truncated SVD (latent semantic analysis), so that "segmentation" and
"segmenting" or two papers sharing no exact word can still land near each other; its word index
also serves keywords and explanations. `MiniLMEncoder` (minilm.py) is the sentence encoder.
`ConcatEncoder` joins several, weighted, into one space for the per-subscriber linear models.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ranking.core.words import phrase_terms


class EncoderUnavailable(RuntimeError):
    """The encoder's file or optional dependency is missing; the message says how to fix it."""


@runtime_checkable
class Encoder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, texts: Sequence[str]) -> np.ndarray: ...

    def fingerprint(self) -> str: ...


def _unit_rows(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.maximum(norms, 1e-12)


class TermIndex:
    """Word tf-idf over the catalogue: keyword matching, query expansion and explanations."""

    def __init__(self) -> None:
        self.vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            # Words and the phrases of adjacent words, never across a stop word or a clause
            # end (words.py): the terms explanations quote are ones the paper wrote.
            analyzer=phrase_terms,
            min_df=2,
            max_df=0.5,
            dtype=np.float32,
        )
        self.terms: np.ndarray = np.array([], dtype=object)

    def fit(self, texts: Sequence[str]) -> TermIndex:
        # min_df=2 on a tiny catalogue (tests, a fresh install) would leave no vocabulary.
        if len(texts) < 20:
            self.vectorizer.set_params(min_df=1, max_df=1.0)
        self.vectorizer.fit(texts)
        self.terms = self.vectorizer.get_feature_names_out()
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(self.vectorizer.transform(texts), dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.terms)


class LsaEncoder:
    """tf-idf (words + character 3-5-grams) -> truncated SVD. Fitted on the catalogue."""

    name = "lsa"

    def __init__(self, components: int = 256, char_weight: float = 0.7) -> None:
        self.components = components
        self.char_weight = char_weight
        self.words = TermIndex()
        self.chars = TfidfVectorizer(
            sublinear_tf=True,
            analyzer="char_wb",
            ngram_range=(3, 5),
            min_df=2,
            max_df=0.5,
            max_features=100_000,
            dtype=np.float32,
        )
        self.svd: TruncatedSVD | None = None

    def fit(self, texts: Sequence[str]) -> LsaEncoder:
        if len(texts) < 20:
            self.chars.set_params(min_df=1, max_df=1.0)
        self.words.fit(texts)
        self.chars.fit(texts)
        sparse = self._sparse(texts)
        k = max(1, min(self.components, sparse.shape[0] - 1, sparse.shape[1] - 1))
        self.svd = TruncatedSVD(k, random_state=0).fit(sparse)
        return self

    def _sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        both = sp.hstack(
            [self.words.transform(texts), self.char_weight * self.chars.transform(texts)]
        )
        return sp.csr_matrix(normalize(both.tocsr()))

    @property
    def dim(self) -> int:
        if self.svd is None:
            raise EncoderUnavailable("the LSA encoder is not fitted: fit it on the catalogue first")
        return int(self.svd.components_.shape[0])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.svd is None:
            raise EncoderUnavailable("the LSA encoder is not fitted: fit it on the catalogue first")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit_rows(self.svd.transform(self._sparse(texts)))

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

    def fingerprint(self) -> str:
        if self.svd is None:
            return "lsa:unfitted"
        h = hashlib.sha256(self.svd.components_.tobytes()[: 1 << 20])
        h.update("\n".join(self.words.terms[:5000]).encode())
        return f"lsa:{h.hexdigest()[:16]}"

    def save(self, path: str | Path) -> None:
        """Written to a temporary file, then renamed: a process killed mid-write leaves the
        previous file (or none), never a truncated one."""
        buf = io.BytesIO()
        pickle.dump(self, buf, protocol=pickle.HIGHEST_PROTOCOL)
        p = Path(path)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        tmp.write_bytes(buf.getvalue())
        tmp.replace(p)

    @classmethod
    def load(cls, path: str | Path) -> LsaEncoder:
        p = Path(path)
        if not p.is_file():
            raise EncoderUnavailable(
                f"encoder file {p} is missing: fit the encoder on the catalogue again "
                "(it is rebuilt from the papers; nothing is downloaded)"
            )
        # Only files this module wrote are loaded (the encoder directory is ours, not user input).
        try:
            obj = pickle.loads(p.read_bytes())  # noqa: S301
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
            raise EncoderUnavailable(f"{p} is damaged ({exc}): fit the encoder again") from exc
        if not isinstance(obj, cls):
            raise EncoderUnavailable(f"{p} does not hold an LSA encoder")
        return obj


class ConcatEncoder:
    """Several encoders side by side, each block scaled by its weight, rows re-normalised."""

    def __init__(self, parts: Sequence[tuple[Encoder, float]], query_parts: int = 1) -> None:
        if not parts:
            raise ValueError("ConcatEncoder needs at least one encoder")
        self.parts = list(parts)
        # A few typed words are too short for LSA to place well; queries use only the first
        # `query_parts` encoders (the sentence model) and leave the other blocks at zero.
        self.query_parts = query_parts
        self.name = "+".join(e.name for e, _ in self.parts)

    @property
    def dim(self) -> int:
        return sum(e.dim for e, _ in self.parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        blocks = [w * e.encode(texts) for e, w in self.parts]
        return _unit_rows(np.hstack(blocks)) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        blocks = [
            w * e.encode_query(texts) if k < self.query_parts else np.zeros((len(texts), e.dim))
            for k, (e, w) in enumerate(self.parts)
        ]
        return _unit_rows(np.hstack(blocks)) if texts else np.zeros((0, self.dim), np.float32)

    def fingerprint(self) -> str:
        return "|".join(f"{e.fingerprint()}*{w:g}" for e, w in self.parts)
