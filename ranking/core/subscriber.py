"""A subscriber's fitted model and its storage format (bytes, for a database column).

The format is a short JSON header followed by raw float32/int32 arrays, so that loading 100,000
stored models for the nightly run costs seconds, not minutes.
"""

from __future__ import annotations

import gc
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"PBM1"


@dataclass
class InterestModel:
    name: str
    kind: str  # "liked" | "topic" | "keywords" | "categories" | "authors"
    weights: np.ndarray  # (dim,) float32
    # Weighted words of the interest (term-index rows): what explanations quote, and exact-term
    # matching when term_scale is not 0.
    term_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    term_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    term_scale: float = 0.0
    mu: float = 0.0
    sigma: float = 1.0
    exemplar_ids: list[str] = field(default_factory=list)  # the subscriber's papers, to cite
    chosen_ids: list[str] = field(default_factory=list)  # those of them typed in, not liked
    categories: frozenset[str] = frozenset()
    # Logit added for each subject category a paper carries (learnt beside the text, already
    # in the same units as `weights`).
    category_weights: dict[str, float] = field(default_factory=dict)

    def term_dict(self) -> dict[int, float]:
        cached: dict[int, float] | None = self.__dict__.get("_terms")
        if cached is None:
            ids, weights = self.term_ids.tolist(), self.term_weights.tolist()
            cached = self.__dict__["_terms"] = dict(zip(ids, weights, strict=True))
        return cached

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InterestModel):
            return NotImplemented
        return _header(self) == _header(other) and all(
            np.array_equal(a, b)
            for a, b in (
                (self.weights, other.weights),
                (self.term_ids, other.term_ids),
                (self.term_weights, other.term_weights),
            )
        )


@dataclass
class SubscriberModel:
    profile_id: str
    fingerprint: str  # the encoder + vocabulary this model is valid for
    interests: list[InterestModel]
    negative_terms: list[int] = field(default_factory=list)
    categories: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()
    excluded_ids: frozenset[str] = frozenset()  # liked, disliked, seed: never recommended
    unknown_papers: int = 0  # liked/seed/disliked ids the catalogue did not know (skipped)
    unmatched: list[str] = field(default_factory=list)  # interests whose words match nothing
    reason: str = ""  # why there is nothing to rank, when there is not

    @property
    def can_rank(self) -> bool:
        return bool(self.interests)

    def to_bytes(self) -> bytes:
        meta = {
            "profile_id": self.profile_id,
            "fingerprint": self.fingerprint,
            "negative_terms": self.negative_terms,
            "categories": sorted(self.categories),
            "authors": sorted(self.authors),
            "excluded_ids": sorted(self.excluded_ids),
            "unknown_papers": self.unknown_papers,
            "unmatched": self.unmatched,
            "reason": self.reason,
            "dim": int(self.interests[0].weights.shape[0]) if self.interests else 0,
            "interests": [_header(m) for m in self.interests],
        }
        head = json.dumps(meta, separators=(",", ":")).encode()
        arrays = [np.asarray(m.weights, np.float32).tobytes() for m in self.interests]
        for m in self.interests:
            arrays.append(np.asarray(m.term_ids, np.int32).tobytes())
            arrays.append(np.asarray(m.term_weights, np.float32).tobytes())
        return MAGIC + struct.pack("<I", len(head)) + head + b"".join(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> SubscriberModel:
        if data[:4] != MAGIC:
            raise ValueError("not a stored subscriber model (wrong header): refit it")
        (n,) = struct.unpack_from("<I", data, 4)
        meta = json.loads(data[8 : 8 + n])
        heads, dim, pos = meta["interests"], meta["dim"], 8 + n
        # Views into `data`, no copies: the nightly run loads 100,000 of these.
        W = np.frombuffer(data, np.float32, len(heads) * dim, pos).reshape(len(heads), dim)
        pos += 4 * dim * len(heads)
        ints = np.frombuffer(data, np.int32, (len(data) - pos) // 4, pos)
        floats = ints.view(np.float32)
        interests, at = [], 0
        for w, h in zip(W, heads, strict=True):
            k = h["terms"]
            interests.append(
                InterestModel(
                    name=h["name"],
                    kind=h["kind"],
                    weights=w,
                    term_ids=ints[at : at + k],
                    term_weights=floats[at + k : at + 2 * k],
                    term_scale=h["term_scale"],
                    mu=h["mu"],
                    sigma=h["sigma"],
                    exemplar_ids=h["exemplar_ids"],
                    chosen_ids=h.get("chosen_ids", []),
                    categories=frozenset(h["categories"]),
                    category_weights=dict(h.get("category_weights", ())),
                )
            )
            at += 2 * k
        return cls(
            profile_id=meta["profile_id"],
            fingerprint=meta["fingerprint"],
            interests=interests,
            negative_terms=meta["negative_terms"],
            categories=frozenset(meta["categories"]),
            authors=frozenset(meta["authors"]),
            excluded_ids=frozenset(meta["excluded_ids"]),
            unknown_papers=meta["unknown_papers"],
            unmatched=meta["unmatched"],
            reason=meta["reason"],
        )


def load_models(blobs: Iterable[bytes]) -> list[SubscriberModel]:
    """Many stored models at once (a chunk of the nightly run), with the cyclic garbage collector
    paused: the models hold no reference cycles, and letting it rescan every model loaded so
    far doubled the cost of loading 100,000."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return [SubscriberModel.from_bytes(b) for b in blobs]
    finally:
        if paused:
            gc.enable()


def _header(m: InterestModel) -> dict[str, object]:
    return {
        "name": m.name,
        "kind": m.kind,
        "terms": len(m.term_ids),
        "term_scale": m.term_scale,
        "mu": m.mu,
        "sigma": m.sigma,
        "exemplar_ids": m.exemplar_ids,
        "chosen_ids": m.chosen_ids,
        "categories": sorted(m.categories),
        "category_weights": sorted(m.category_weights.items()),
    }
