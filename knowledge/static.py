"""The fast path: static word-piece vectors that imitate the sentence model.

A message's fast vector is the mean of one fixed vector per word piece (``[CLS]`` and ``[SEP]``
included, as the model's mean pooling does), so embedding it costs a table look-up (~0.05 ms)
instead of a transformer run (~10 ms). The vectors live in the model's own space: the engine
compares them with the model's index and its thresholds, unchanged.

How the table is made (``python -m knowledge.indexcli --rebuild-static``, about a minute and a half;
the model2vec idea, then fitted to the model):

1. every word piece of the vocabulary run alone through all-MiniLM-L6-v2
   (``[CLS] piece [SEP]``, mean of the output);
2. one linear map (ridge regression) from the mean of those vectors over a sentence's pieces to
   the model's vector of that sentence, applied to every piece;
3. a ridge fit of each piece's vector, starting from (2), so that the means over the training
   sentences reproduce the model's vectors (pieces never seen in training keep (2)).

Training sentences: the index texts of ``knowledge/content`` (unit examples, titles, aliases,
body sentences, red-flag exemplars, off-topic examples) and the question sets the engine is
tuned on (``tests/data/*.jsonl`` and ``tests/data/questions/*.tune.jsonl``), each as written and
as the engine's analyser corrects it (what the engine embeds); never the held-out ``own_*`` sets
nor the frozen ``*.test`` splits, which measure it. Stored as int8 with one scale
per row (uncompressed: it loads in a few ms) in ``knowledge/model/static.npz``.

The engine answers from these vectors only when the answer is clear-cut and no red-flag cue is
present, and asks the model otherwise (:mod:`knowledge.engine`, "the fast path").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge import embedding as emb

log = logging.getLogger(__name__)

TABLE_PATH = emb.MODEL_DIR / "static.npz"
#: ridge strengths of the fit (chosen on held-out questions: see bench/answer_bench.py)
MAP_RIDGE = 0.01
PIECE_RIDGE = 0.01


@dataclass
class StaticEmbedder:
    """Texts -> unit vectors from the table (the same interface as ``Embedder``)."""

    table: np.ndarray  # (vocab, 384) int8
    scales: np.ndarray  # (vocab,) float32
    fitted: np.ndarray  # (vocab,) bool: the piece was in the training sentences (step 3)
    tokenizer: object
    model_id: str

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> StaticEmbedder:
        """Read the table; raises :class:`emb.EmbeddingUnavailable` when it is missing, broken,
        or was made from another model or tokenizer."""
        from tokenizers import Tokenizer

        try:
            with np.load(path, allow_pickle=False) as data:
                source = str(data["source"])
                table = data["table"]
                scales = data["scales"].astype(np.float32)
                fitted = data["fitted"].astype(bool)
        except (OSError, KeyError, ValueError) as exc:
            raise emb.EmbeddingUnavailable(f"static table {path}: {exc}") from exc
        if source != emb.MODEL_ID:
            raise emb.EmbeddingUnavailable(f"static table {path} is from {source}")
        tokenizer = Tokenizer.from_file(str(emb.TOKENIZER_PATH))
        tokenizer.no_padding()
        tokenizer.enable_truncation(emb.MAX_TOKENS)
        if table.shape != (tokenizer.get_vocab_size(), emb.DIM):
            raise emb.EmbeddingUnavailable(f"static table {path} does not fit the model")
        return cls(table, scales, fitted, tokenizer, f"static:{source}")

    def embed_one(self, text: str) -> np.ndarray:
        return self._vector(self.tokenizer.encode(text or " ").ids)  # type: ignore[attr-defined]

    def embed_known(self, text: str) -> np.ndarray | None:
        """The vector, or None when a word piece of ``text`` was never fitted (only mapped, step
        2: a word the training sentences lack, "spaniel"): the model must read it. Numbers do
        not count ("I walk 25 minutes")."""
        enc = self.tokenizer.encode(text or " ")  # type: ignore[attr-defined]
        ids = enc.ids
        if not self.fitted[ids].all():
            tokens = enc.tokens
            if any(
                not self.fitted[i] and not tokens[k].lstrip("#").isdigit()
                for k, i in enumerate(ids)
            ):
                return None
        return self._vector(ids)

    def _vector(self, ids: list[int]) -> np.ndarray:
        v = (self.table[ids].astype(np.float32) * self.scales[ids, None]).mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, emb.DIM), dtype=np.float32)
        return np.stack([self.embed_one(t) for t in texts])


def try_load() -> StaticEmbedder | None:
    try:
        return StaticEmbedder.load()
    except emb.EmbeddingUnavailable as exc:
        log.warning("no fast path (%s): every question goes to the model", exc)
        return None


# -- making the table ----------------------------------------------------------------------------


def piece_vectors(embedder: emb.Embedder, batch: int = 1024) -> np.ndarray:
    """Step 1: the model's output for every word piece alone, (vocab, 384)."""
    vocab = json.loads(emb.TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    n = len(vocab)
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    raw = np.zeros((n, emb.DIM), dtype=np.float64)
    for start in range(0, n, batch):
        ids = np.array(
            [[cls_id, i, sep_id] for i in range(start, min(n, start + batch))], dtype=np.int64
        )
        (hidden,) = embedder.session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": ids * 0},
        )
        raw[start : start + len(ids)] = hidden.mean(axis=1)
    return raw


def fit(raw: np.ndarray, pieces: Sequence[Sequence[int]], targets: np.ndarray) -> np.ndarray:
    """Steps 2 and 3: ``raw`` fitted so that the mean over each sentence's ``pieces`` is near its
    ``targets`` row (the model's vector)."""
    used = sorted({i for ids in pieces for i in ids})
    col = {piece: k for k, piece in enumerate(used)}
    share = np.zeros((len(pieces), len(used)))
    for r, ids in enumerate(pieces):
        for i in ids:
            share[r, col[i]] += 1.0 / len(ids)
    pooled = share @ raw[used]
    mapping = np.linalg.solve(
        pooled.T @ pooled + MAP_RIDGE * np.eye(raw.shape[1]), pooled.T @ targets
    )
    table = raw @ mapping
    residual = targets - share @ table[used]
    gram = share @ share.T + PIECE_RIDGE * np.eye(len(pieces))
    table[used] += share.T @ np.linalg.solve(gram, residual)
    return table


def fitted_mask(vocab_size: int, pieces: Sequence[Sequence[int]]) -> np.ndarray:
    mask = np.zeros(vocab_size, dtype=bool)
    for ids in pieces:
        mask[list(ids)] = True
    return mask


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scales = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.rint(table / scales[:, None]), -127, 127).astype(np.int8)
    return q, scales.astype(np.float32)
