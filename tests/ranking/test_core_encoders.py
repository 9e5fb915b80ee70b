from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ranking.core import ConcatEncoder, EncoderUnavailable, LsaEncoder
from ranking.core.configs import CachedEncoder
from tests.ranking.corekit import corpus


def test_the_lsa_encoder_gives_unit_vectors_and_survives_a_round_trip(tmp_path: Path) -> None:
    texts = [p.text for p in corpus(10, "t", seed=1)]
    enc = LsaEncoder(components=8).fit(texts)
    vecs = enc.encode(texts[:4])
    assert vecs.shape == (4, 8)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    enc.save(tmp_path / "lsa.pkl")
    again = LsaEncoder.load(tmp_path / "lsa.pkl")
    assert np.allclose(again.encode(texts[:4]), vecs)
    assert again.fingerprint() == enc.fingerprint()


def test_text_with_no_known_word_encodes_to_zeros_not_an_error() -> None:
    enc = LsaEncoder(components=8).fit([p.text for p in corpus(10, "t", seed=1)])
    assert not enc.encode(["ßßß 量子"]).any()
    assert enc.encode([]).shape == (0, 8)


def test_a_missing_encoder_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="is missing: fit the encoder"):
        LsaEncoder.load(tmp_path / "nope.pkl")


def test_a_truncated_encoder_file_is_a_clear_error_and_saving_never_leaves_one(
    tmp_path: Path,
) -> None:
    enc = LsaEncoder(components=8).fit([p.text for p in corpus(10, "t", seed=1)])
    path = tmp_path / "lsa.pickle"
    enc.save(path)
    assert [f.name for f in tmp_path.iterdir()] == ["lsa.pickle"]  # no temporary file left
    assert LsaEncoder.load(path).fingerprint() == enc.fingerprint()
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(EncoderUnavailable, match="is damaged"):
        LsaEncoder.load(path)


def test_an_unfitted_encoder_says_so() -> None:
    with pytest.raises(EncoderUnavailable, match="not fitted"):
        LsaEncoder().encode(["x"])


def test_a_concat_encoder_queries_only_its_sentence_part() -> None:
    texts = [p.text for p in corpus(10, "t", seed=1)]
    a = LsaEncoder(components=8).fit(texts)
    b = LsaEncoder(components=4).fit(texts[:15])
    both = ConcatEncoder([(a, 1.0), (b, 0.5)])
    assert both.encode(texts[:2]).shape == (2, 12)
    q = both.encode_query(["galaxy"])
    assert not q[0, 8:].any()


def test_the_encoding_cache_survives_a_damaged_file_and_never_leaves_half_a_file(
    tmp_path: Path,
) -> None:
    texts = [p.text for p in corpus(20, "t", seed=1)]  # the cache is written from 50 texts
    lsa = LsaEncoder(components=8).fit(texts)
    cache = CachedEncoder(lsa, tmp_path)
    want = cache.encode(texts)
    [saved] = tmp_path.iterdir()  # renamed into place: no temporary file left beside it
    assert np.allclose(CachedEncoder(lsa, tmp_path).encode(texts), want)
    saved.write_bytes(saved.read_bytes()[:200])  # as a full disk or a killed writer leaves it
    assert np.allclose(CachedEncoder(lsa, tmp_path).encode(texts), want)
