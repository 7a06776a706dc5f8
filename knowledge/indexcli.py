"""The engine's shipped data, rebuilt from the model and the content, and a look inside:

- ``python -m knowledge.indexcli --rebuild-index``: ``knowledge/model/index.npz``, the model's
  vectors of the content's texts (a test fails when it is stale);
- ``python -m knowledge.indexcli --rebuild-static``: ``knowledge/model/static.npz``, the fast
  path's table (:mod:`knowledge.static`), fitted to the model on the content's texts and the
  questions the engine is tuned on;
- ``python -m knowledge.indexcli "how fast should I walk?"``: the engine's scores per unit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge import embedding as emb
from knowledge import static
from knowledge.content import default_library, load_matching, load_offtopic, load_redflags
from knowledge.engine import Engine, Tuning
from knowledge.matching import INDEX_PATH, MatchingData, build_index, offtopic_texts, save_index
from knowledge.redflags import RedFlagChecker

#: the question sets the fast path's table is fitted on (never the own_* or *.test sets)
TRAINING_SETS = Path(__file__).resolve().parents[1] / "tests" / "data"


def rebuild_index() -> None:
    library = default_library()
    embedder = emb.Embedder.load()
    matching = MatchingData(library, load_matching())
    checker = RedFlagChecker(load_redflags())
    offtopic = offtopic_texts(load_offtopic())
    index, key = build_index(embedder, matching, checker, list(library.units), offtopic)
    save_index(INDEX_PATH, index, key)
    print(
        f"wrote {INDEX_PATH} ({len(index.vectors)} + {len(index.redflag_vectors)} + "
        f"{len(index.offtopic_vectors)} vectors)"
    )


def training_sentences(engine: Engine, question_files: Sequence[Path]) -> list[str]:
    """The content's index texts and the questions of ``question_files`` (JSON lines with "q"),
    each as written and as the engine's analyser corrects it (what the engine embeds)."""
    texts = [t for _, _, t in engine.matching.index_texts]
    texts += list(engine.checker.exemplars)
    texts += [t for _, t in engine.offtopic]
    for path in question_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if isinstance(row, dict) and isinstance(row.get("q"), str):
                texts.append(row["q"])
    texts += [engine.analyzer.analyse(t).corrected_text for t in texts]
    return list(dict.fromkeys(t for t in texts if t.strip()))


def rebuild_static() -> None:
    engine = Engine.load(tuning=Tuning(use_fast=False))
    embedder = emb.Embedder.load()
    files = sorted(TRAINING_SETS.glob("*.jsonl"))
    files += sorted((TRAINING_SETS / "questions").glob("*.tune.jsonl"))
    sentences = training_sentences(engine, files)
    targets = embedder.embed(sentences).astype(np.float64)
    pieces = [embedder.tokenizer.encode(s).ids for s in sentences]
    raw = static.piece_vectors(embedder)
    table, scales = static.quantise(static.fit(raw, pieces, targets))
    fitted = static.fitted_mask(len(table), pieces)
    np.savez(
        static.TABLE_PATH, source=np.array(emb.MODEL_ID), table=table, scales=scales, fitted=fitted
    )
    print(f"wrote {static.TABLE_PATH}: fitted on {len(sentences)} sentences, {fitted.sum()} pieces")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m knowledge.indexcli", description=__doc__)
    p.add_argument("--rebuild-index", action="store_true")
    p.add_argument("--rebuild-static", action="store_true")
    p.add_argument("question", nargs="*")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.rebuild_index or args.rebuild_static:
        if args.rebuild_index:
            rebuild_index()
        if args.rebuild_static:
            rebuild_static()
        return 0
    engine = Engine.load()
    for q in args.question:
        print(json.dumps(engine.explain(q), indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
