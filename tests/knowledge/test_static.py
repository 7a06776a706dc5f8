"""The fast path's static vectors (knowledge/static.py): the shipped table loads, belongs to the
shipped model, and reads meaning well enough to rank; a wrong or missing table switches the fast
path off, never the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import embedding as emb
from knowledge import static
from knowledge.engine import Engine


@pytest.fixture(scope="module")
def table() -> static.StaticEmbedder:
    return static.StaticEmbedder.load()


def test_the_shipped_table_fits_the_shipped_model_and_tokenizer(
    table: static.StaticEmbedder,
) -> None:
    assert table.table.shape == (table.tokenizer.get_vocab_size(), emb.DIM)  # type: ignore[attr-defined]
    assert table.table.dtype == np.int8
    assert emb.MODEL_ID in table.model_id


def test_fast_vectors_are_near_the_models_own(table: static.StaticEmbedder) -> None:
    """They live in the model's space: the engine compares them with the model's index."""
    model = emb.Embedder.load()
    texts = [
        "is it ok to walk every day with a bad back?",
        "my trainers are worn out, what should I look for?",
        "how do I breathe while walking uphill",
    ]
    for text, vec in zip(texts, model.embed(texts), strict=True):
        assert float(table.embed_one(text) @ vec) > 0.6, text


def test_vectors_are_unit_length_and_near_for_like_meanings(
    table: static.StaticEmbedder,
) -> None:
    a = table.embed_one("what shoes should I wear for walking?")
    b = table.embed_one("which trainers are best for a walk?")
    c = table.embed_one("how do I bake sourdough bread?")
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    assert float(a @ b) > float(a @ c) + 0.1
    assert table.embed(["a", "b"]).shape == (2, emb.DIM)


def test_words_the_table_was_not_fitted_on_are_left_to_the_model(
    table: static.StaticEmbedder,
) -> None:
    assert table.embed_known("how fast should I walk, I walk 25 minutes a day") is not None
    assert table.embed_known("how often should my spaniel go for a walk") is None


def test_a_table_from_another_model_is_refused(
    tmp_path: Path, table: static.StaticEmbedder
) -> None:
    path = tmp_path / "static.npz"
    np.savez(
        path,
        source=np.array("some-other-model"),
        table=table.table,
        scales=table.scales,
        fitted=table.fitted,
    )
    with pytest.raises(emb.EmbeddingUnavailable, match="some-other-model"):
        static.StaticEmbedder.load(path)
    with pytest.raises(emb.EmbeddingUnavailable):
        static.StaticEmbedder.load(tmp_path / "missing.npz")


def test_without_the_table_the_engine_asks_the_model_for_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = static.StaticEmbedder.load.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        static.StaticEmbedder,
        "load",
        classmethod(lambda cls, path=None: real(cls, Path("/nonexistent/static.npz"))),
    )
    engine = Engine.load()
    assert engine.semantic and engine.fast is None
    r = engine.answer("how many steps per minute should I aim for?")
    assert (r.kind, r.id) == ("answer", "cadence")
