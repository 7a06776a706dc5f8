"""The answering engine: text in, a :class:`Result` out.

Order of decisions for one message:

1. Red flags (:mod:`knowledge.redflags`): rules over typo-tolerant lexicons, then the gated model
   check. Urgent wins over everything.
2. Not covered (``matching.yaml`` ``not_covered``): heat/ice, medication, mattresses, surgery...
   -> ``none``; suggestions only when the message looked on-topic.
3. Scoring every unit with three signals:
   - semantic: cosine similarity of the question to each unit's example questions, title, aliases
     and body sentences (all-MiniLM-L6-v2, :mod:`knowledge.embedding`; precomputed vectors ship in
     ``knowledge/model/index.npz``);
   - phrases: weighted words/phrases per unit (``matching.yaml`` + the unit's aliases), matched on
     stemmed, typo-corrected words (rapidfuzz at the word level);
   - near-verbatim: rapidfuzz similarity of the whole question to the unit's example questions.
4. ``none`` when the best unit is too weak (off-topic), else ``answer`` with that unit.

Without the model (missing, hash mismatch, ``WALKWELL_NO_EMBEDDINGS=1``) the engine still works on
phrases and fuzzy matching alone, with a warning in the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import embedding as emb
from knowledge.content import default_library, load_matching, load_redflags
from knowledge.models import Library, Unit
from knowledge.redflags import Flag, Phrase, RedFlagChecker
from knowledge.spelling import Respeller
from knowledge.text import Analysed, Analyzer, normalise

log = logging.getLogger(__name__)

INDEX_PATH = emb.MODEL_DIR / "index.npz"
INDEX_VERSION = 1

Kind = str  # "answer" | "none" | "urgent"


@dataclass(frozen=True)
class Result:
    """What the engine says about one message (``to_json`` is the CONTRACT's JSON object)."""

    kind: Kind
    id: str | None = None
    score: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    #: For ``urgent``: which rule fired and what care it needs (emergency|urgent|crisis).
    flag: Flag | None = None
    #: For ``none``: why ("empty", "not_covered", "off_topic", "weak").
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "score": round(float(self.score), 4),
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class Tuning:
    """The engine's knobs (chosen on the dev set; see bench/answer_bench.py for accuracy)."""

    #: weight of the phrase score (saturating: kw / (kw + kw_half)) in the combined score
    kw_weight: float = 0.45
    kw_half: float = 4.0
    #: near-verbatim bonus: fuzz.ratio above this (0..100) adds (ratio - floor) / (100 - floor)
    fuzzy_floor: float = 80.0
    fuzzy_weight: float = 0.3
    #: body sentences count a little less than example questions
    body_penalty: float = 0.08
    #: answer only when the combined score reaches this...
    answer_floor: float = 0.42
    #: ...or this when the message has no walking/back-pain word and no unit phrase at all
    offtopic_floor: float = 0.55
    #: a phrase score this high counts as "on topic" even without a topic word...
    strong_phrase: float = 3.5
    #: ...a weaker one needs this combined score
    weak_phrase_floor: float = 0.5
    #: below this semantic similarity nothing is an answer, whatever the words
    min_semantic: float = 0.3
    #: ...or, without the model, when the phrase score reaches this
    kw_only_floor: float = 2.5
    #: suggestions: up to this many units, each at least this share of the best score
    max_suggestions: int = 3
    suggestion_ratio: float = 0.6


# --------------------------------------------------------------------------------------------
# matching data


@dataclass
class UnitMatcher:
    id: str
    phrases: list[tuple[Phrase, float]]
    examples: list[str]  # normalised example questions (for near-verbatim matching)


class MatchingData:
    """``matching.yaml`` + the library's units, compiled for matching."""

    def __init__(self, library: Library, raw: dict[str, Any]) -> None:
        self.rewrites: dict[str, str] = {
            str(k).lower(): str(v or "").lower() for k, v in (raw.get("rewrites") or {}).items()
        }
        units_raw: dict[str, Any] = raw.get("units") or {}
        unknown = set(units_raw) - set(library.units)
        if unknown:
            raise ValueError(f"matching.yaml: unknown unit ids {sorted(unknown)}")
        self.topic = [Phrase(p) for p in raw.get("topic_words") or []]
        self.stopwords = frozenset(str(w).lower() for w in raw.get("stopwords") or [])
        nc = raw.get("not_covered") or {}
        self.not_covered = [Phrase(p) for p in nc.get("phrases") or []]
        self.allow = [Phrase(p) for p in nc.get("allow") or []]

        self.units: dict[str, UnitMatcher] = {}
        #: texts to embed: (unit id, kind, text); kind 0 = question-like, 1 = body sentence
        self.index_texts: list[tuple[str, int, str]] = []
        for unit in library.units.values():
            spec = units_raw.get(unit.id) or {}
            weights: dict[tuple[str, ...], tuple[Phrase, float]] = {}
            for alias in unit.aliases:
                ph = Phrase(alias)
                content = [t for t in normalise(alias).split() if t not in self.stopwords]
                w = 0.0 if not content else (3.0 if len(ph.parts) > 1 else 2.0)
                if ph.parts and w > 0:
                    weights[ph.parts] = (ph, w)
            for text, w in (spec.get("phrases") or {}).items():
                ph = Phrase(str(text))
                if ph.parts:  # matching.yaml overrides an alias; "buy"/"buying" count once
                    old = weights.get(ph.parts)
                    weights[ph.parts] = (ph, max(float(w), old[1]) if old else float(w))
            phrases = list(weights.values())
            questions = [unit.title, *([unit.question] if unit.question else [])]
            examples = [str(e) for e in spec.get("examples") or []]
            norm_examples = [normalise(t, self.rewrites) for t in questions + examples]
            self.units[unit.id] = UnitMatcher(unit.id, phrases, norm_examples)
            for t in _dedupe(questions + list(unit.aliases) + examples):
                self.index_texts.append((unit.id, 0, t))
            for sent in body_sentences(unit):
                self.index_texts.append((unit.id, 1, sent))

    def words(self) -> set[str]:
        out: set[str] = set()
        for m in self.units.values():
            for p, _ in m.phrases:
                out.update(normalise(p.text).split())
            for e in m.examples:
                out.update(e.split())
        for p in self.topic + self.not_covered + self.allow:
            out.update(normalise(p.text).split())
        return out


def _dedupe(texts: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for t in texts:
        k = t.strip().lower()
        if k and k not in seen:
            seen.add(k)
            out.append(t.strip())
    return out


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_MD_RE = re.compile(r"[*_`#>]|^\s*[-•]\s*", re.MULTILINE)


def body_sentences(unit: Unit) -> list[str]:
    """The unit's body split into sentences (Markdown marks removed, very short ones dropped)."""
    text = _MD_RE.sub("", unit.body)
    out = []
    for s in _SENTENCE_RE.split(text):
        s = " ".join(s.split())
        if len(s.split()) >= 3:
            out.append(s)
    return out


def _phrase_hits(
    phrases: Sequence[Phrase], stems: Sequence[str], index: dict[str, list[int]]
) -> list[Phrase]:
    return [p for p in phrases if p.spans(stems, index)]


def _index_of(stems: Sequence[str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, s in enumerate(stems):
        index.setdefault(s, []).append(i)
    return index


# --------------------------------------------------------------------------------------------
# the embedding index (precomputed, shipped, rebuilt when stale)


@dataclass
class VectorIndex:
    vectors: np.ndarray  # (n, 384) unit vectors
    owners: np.ndarray  # (n,) int: unit position
    kinds: np.ndarray  # (n,) int: 0 question-like, 1 body sentence
    redflag_vectors: np.ndarray  # (m, 384)


def index_key(model_id: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(f"v{INDEX_VERSION}\0{model_id}\0".encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _all_texts(matching: MatchingData, checker: RedFlagChecker) -> list[str]:
    return [t for _, _, t in matching.index_texts] + list(checker.exemplars)


def build_index(
    embedder: emb.Embedder, matching: MatchingData, checker: RedFlagChecker, unit_ids: list[str]
) -> tuple[VectorIndex, str]:
    texts = _all_texts(matching, checker)
    vecs = embedder.embed(texts)
    n = len(matching.index_texts)
    pos = {u: i for i, u in enumerate(unit_ids)}
    owners = np.array([pos[u] for u, _, _ in matching.index_texts], dtype=np.int32)
    kinds = np.array([k for _, k, _ in matching.index_texts], dtype=np.int8)
    return VectorIndex(vecs[:n], owners, kinds, vecs[n:]), index_key(embedder.model_id, texts)


def save_index(path: Path, index: VectorIndex, key: str) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        key=np.array(key),
        vectors=index.vectors.astype(np.float32),
        owners=index.owners,
        kinds=index.kinds,
        redflag_vectors=index.redflag_vectors.astype(np.float32),
    )
    tmp.replace(path)


def read_index(path: Path, key: str) -> VectorIndex | None:
    """The saved index when it matches ``key`` (same model, same texts); else None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            return VectorIndex(
                data["vectors"].astype(np.float32),
                data["owners"],
                data["kinds"],
                data["redflag_vectors"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


# --------------------------------------------------------------------------------------------
# the engine


@dataclass
class Scores:
    """Per-unit scores for one message (for debugging and the benchmark)."""

    combined: np.ndarray
    semantic: np.ndarray
    phrases: np.ndarray
    fuzzy: np.ndarray


class Engine:
    """Answers questions from the guide. Load once (:meth:`load`), then call :meth:`answer`."""

    def __init__(
        self,
        library: Library,
        matching: MatchingData,
        checker: RedFlagChecker,
        analyzer: Analyzer,
        embedder: emb.Embedder | None,
        index: VectorIndex | None,
        tuning: Tuning | None = None,
    ) -> None:
        self.library = library
        self.matching = matching
        self.checker = checker
        self.analyzer = analyzer
        self.embedder = embedder if index is not None else None
        self.index = index
        self.tuning = tuning or Tuning()
        self.unit_ids: list[str] = list(library.units)
        self._topic_choices = self._build_topic_choices()
        self._topic_names = [name for name, _ in self._topic_choices]
        if self.index is not None:
            checker.exemplar_vectors = self.index.redflag_vectors

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        library: Library | None = None,
        *,
        use_embeddings: bool = True,
        index_path: Path | None = INDEX_PATH,
        tuning: Tuning | None = None,
    ) -> Engine:
        """Build the engine: content, matching data, red flags, model and vector index.

        The vector index is read from ``index_path`` when it matches the model and the content;
        otherwise it is rebuilt (and written back when the folder is writable).
        """
        if library is None:
            library = default_library()
        matching = MatchingData(library, load_matching())
        checker = RedFlagChecker(load_redflags())
        common = emb.known_words()
        words = matching.words() | checker.words()
        respell = Respeller(words, common, matching.rewrites)
        analyzer = Analyzer(matching.rewrites, words, common, respell)
        embedder = emb.try_load() if use_embeddings else None
        index: VectorIndex | None = None
        if embedder is not None:
            texts = _all_texts(matching, checker)
            key = index_key(embedder.model_id, texts)
            if index_path is not None and index_path.is_file():
                index = read_index(index_path, key)
            if index is None:
                log.info("embedding index is stale or missing: rebuilding (%d texts)", len(texts))
                index, key = build_index(embedder, matching, checker, list(library.units))
                if index_path is not None:
                    try:
                        save_index(index_path, index, key)
                    except OSError as exc:
                        log.info("could not save the embedding index to %s: %s", index_path, exc)
        return cls(library, matching, checker, analyzer, embedder, index, tuning)

    @property
    def semantic(self) -> bool:
        """True when the embedding model is in use (False = degraded, keywords only)."""
        return self.embedder is not None

    # -- answering ---------------------------------------------------------------------------
    def answer(self, text: str) -> Result:
        """The engine's answer to one message (never raises on user input)."""
        a = self.analyzer.analyse(text or "")
        if not a.corrected:
            return Result("none", None, 0.0, [], reason="empty")
        vec = self._embed(a)
        flag = self.checker.check(a, vec, self._embed)
        if flag is not None:
            return Result("urgent", None, 1.0, [], flag=flag)

        index = _index_of(a.stems)
        scores = self.score(a, vec, index)
        order = np.argsort(-scores.combined, kind="stable")
        best = int(order[0])
        top = float(scores.combined[best])
        on_topic = bool(_phrase_hits(self.matching.topic, a.stems, index))
        t = self.tuning

        if self._not_covered(a.stems, index) and scores.fuzzy[best] < 0.9:
            return Result(
                "none",
                None,
                _clip(top),
                self._suggest(scores, order, on_topic),
                reason="not_covered",
            )
        if self.semantic:
            # A message with no walking/back-pain word and no strong phrase must mean something
            # close to a unit on its own (the model), or it is off-topic.
            kw_best = float(scores.phrases[best])
            if float(scores.semantic[best]) < t.min_semantic:
                ok = False  # words match, meaning does not ("fix my bike chain")
            elif on_topic or kw_best >= t.strong_phrase:
                ok = top >= t.answer_floor
            elif kw_best > 0:
                ok = top >= t.weak_phrase_floor
            else:
                ok = float(scores.semantic[best]) >= t.offtopic_floor
        else:
            ok = float(scores.phrases[best]) >= t.kw_only_floor or scores.fuzzy[best] > 0
        if not ok:
            return Result(
                "none", None, _clip(top), self._suggest(scores, order, on_topic), reason="weak"
            )
        rest = [
            self.unit_ids[int(i)]
            for i in order[1 : 1 + t.max_suggestions]
            if scores.combined[int(i)] >= t.suggestion_ratio * top
        ]
        return Result("answer", self.unit_ids[best], _clip(top), rest)

    def _suggest(self, scores: Scores, order: np.ndarray, on_topic: bool) -> list[str]:
        if not on_topic:
            return []
        t = self.tuning
        top = float(scores.combined[int(order[0])])
        if top <= 0:
            return []
        return [
            self.unit_ids[int(i)]
            for i in order[: t.max_suggestions]
            if scores.combined[int(i)] >= t.suggestion_ratio * top
        ]

    def _embed(self, a: Analysed) -> np.ndarray | None:
        if self.embedder is None:
            return None
        try:
            return self.embedder.embed_one(a.corrected_text)
        except Exception:  # a runtime failure must not take answering down
            log.exception("embedding failed; answering on keywords only")
            return None

    def _not_covered(self, stems: Sequence[str], index: dict[str, list[int]]) -> bool:
        masked: set[int] = set()
        for p in self.matching.allow:
            for s, e in p.spans(stems, index):
                masked.update(range(s, e))
        for p in self.matching.not_covered:
            for s, e in p.spans(stems, index):
                if not masked.intersection(range(s, e)):
                    return True
        return False

    def score(
        self, a: Analysed, vec: np.ndarray | None, index: dict[str, list[int]] | None = None
    ) -> Scores:
        """Per-unit scores (in library order) for an analysed message."""
        t = self.tuning
        n = len(self.unit_ids)
        index = index if index is not None else _index_of(a.stems)
        kw = np.zeros(n, dtype=np.float32)
        fz = np.zeros(n, dtype=np.float32)
        text = a.corrected_text
        for i, uid in enumerate(self.unit_ids):
            m = self.matching.units[uid]
            kw[i] = sum(w for p, w in m.phrases if p.spans(a.stems, index))
            if m.examples:
                hit = process.extractOne(text, m.examples, scorer=fuzz.ratio)
                if hit is not None and hit[1] > t.fuzzy_floor:
                    fz[i] = (hit[1] - t.fuzzy_floor) / (100.0 - t.fuzzy_floor)
        sem = np.zeros(n, dtype=np.float32)
        if vec is not None and self.index is not None:
            sims = self.index.vectors @ vec
            sims = sims - t.body_penalty * self.index.kinds
            np.maximum.at(sem, self.index.owners, sims)
        kw_norm = kw / (kw + t.kw_half)
        combined = sem + t.kw_weight * kw_norm + t.fuzzy_weight * fz
        if vec is None:
            combined = kw_norm + t.fuzzy_weight * fz
        return Scores(combined, sem, kw, fz)

    # -- /guide autocomplete -----------------------------------------------------------------
    def _build_topic_choices(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for i, u in enumerate(self.library.units.values()):
            for name in (u.id, u.id.replace("_", " "), u.title, *u.aliases):
                out.append((name.casefold(), i))
        return out

    def topics(self, partial: str, limit: int = 25) -> list[Unit]:
        """Units whose id, title or alias fuzzily matches ``partial`` (best first).

        An empty ``partial`` gives every unit in guide order.
        """
        units = list(self.library.units.values())
        q = " ".join((partial or "").casefold().split())[:100]
        if not q:
            return units[:limit]
        best: dict[int, float] = {}
        for name, i in self._topic_choices:
            if name.startswith(q):
                s = 200.0 - len(name) / 10
            elif q in name:
                s = 150.0 - len(name) / 10
            else:
                continue
            if s > best.get(i, -1.0):
                best[i] = s
        # typos and partial words, scored in C by rapidfuzz
        for _, score, k in process.extract(
            q, self._topic_names, scorer=fuzz.WRatio, score_cutoff=70, limit=None
        ):
            i = self._topic_choices[k][1]
            if score > best.get(i, -1.0):
                best[i] = float(score)
        ranked = sorted(best, key=lambda i: (-best[i], i))
        return [units[i] for i in ranked[:limit]]

    # -- debugging ---------------------------------------------------------------------------
    def explain(self, text: str) -> dict[str, Any]:
        """Scores per unit for one message (for tuning and bug reports)."""
        a = self.analyzer.analyse(text or "")
        vec = self._embed(a)
        s = self.score(a, vec)
        order = np.argsort(-s.combined)[:5]
        return {
            "corrected": a.corrected_text,
            "result": self.answer(text).to_json(),
            "top": [
                {
                    "id": self.unit_ids[int(i)],
                    "combined": round(float(s.combined[i]), 3),
                    "semantic": round(float(s.semantic[i]), 3),
                    "phrases": round(float(s.phrases[i]), 2),
                    "fuzzy": round(float(s.fuzzy[i]), 2),
                }
                for i in order
            ],
        }


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m knowledge.engine --rebuild-index`` writes a fresh index; else explain Qs."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m knowledge.engine")
    p.add_argument("--rebuild-index", action="store_true")
    p.add_argument("question", nargs="*")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.rebuild_index:
        library = default_library()
        embedder = emb.Embedder.load()
        matching = MatchingData(library, load_matching())
        checker = RedFlagChecker(load_redflags())
        index, key = build_index(embedder, matching, checker, list(library.units))
        save_index(INDEX_PATH, index, key)
        print(f"wrote {INDEX_PATH} ({len(index.vectors)} + {len(index.redflag_vectors)} vectors)")
        return 0
    engine = Engine.load()
    for q in args.question:
        print(json.dumps(engine.explain(q), indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())


__all__ = ["Engine", "Result", "Scores", "Tuning", "body_sentences"]
