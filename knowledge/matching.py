"""Matching data and the vector index the answering engine reads (:mod:`knowledge.engine`).

- :class:`MatchingData`: ``matching.yaml`` and the library's units compiled for matching (phrases,
  example questions, not-covered and treatment phrases, the texts to embed).
- :class:`VectorIndex`: the embedded texts (units, red-flag exemplars, ``offtopic.yaml``'s
  examples), precomputed and shipped in ``knowledge/model/index.npz``, rebuilt when stale.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import embedding as emb
from knowledge.models import Library, Unit
from knowledge.redflags import Phrase, Phrases, RedFlagChecker, by_first, candidates
from knowledge.text import normalise

INDEX_PATH = emb.MODEL_DIR / "index.npz"
INDEX_VERSION = 2


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
        self.topic = Phrases(Phrase(p) for p in raw.get("topic_words") or [])
        self.stopwords = frozenset(str(w).lower() for w in raw.get("stopwords") or [])
        nc = raw.get("not_covered") or {}
        self.not_covered = Phrases(Phrase(p) for p in nc.get("phrases") or [])
        self.allow = Phrases(Phrase(p) for p in nc.get("allow") or [])
        self.treatment = Phrases(Phrase(p) for p in nc.get("treatment") or [])
        #: not covered wherever they stand, story included (a condition that changes the answer)
        self.anywhere = Phrases(Phrase(p) for p in nc.get("anywhere") or [])
        #: other activities and subjects: not covered when the question names no ``walking`` word
        self.elsewhere = Phrases(Phrase(p) for p in nc.get("elsewhere") or [])
        self.walking = Phrases(Phrase(p) for p in raw.get("walking_words") or [])

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
        for p in itertools.chain(
            self.topic,
            self.not_covered,
            self.allow,
            self.treatment,
            self.anywhere,
            self.elsewhere,
            self.walking,
        ):
            out.update(normalise(p.text).split())
        return out


class UnitPhrases:
    """Every unit's weighted phrases, unit by unit, found by their first word: the phrase score
    per unit (the same sums, in the same order, as a scan of every phrase)."""

    def __init__(self, matching: MatchingData, unit_ids: Sequence[str]) -> None:
        self.n = len(unit_ids)
        self.rows = [
            (i, p, w) for i, u in enumerate(unit_ids) for p, w in matching.units[u].phrases
        ]
        self.firsts = by_first([p for _, p, _ in self.rows])

    def scores(self, stems: Sequence[str], index: dict[str, list[int]]) -> np.ndarray:
        sums: dict[int, float] = {}
        for j in candidates(self.firsts, index):
            i, p, w = self.rows[j]
            if p.spans(stems, index):
                sums[i] = sums.get(i, 0) + w
        kw = np.zeros(self.n, dtype=np.float32)
        for i, total in sums.items():
            kw[i] = total
        return kw


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
    offtopic_vectors: np.ndarray  # (k, 384): offtopic.yaml's examples, group by group


def index_key(model_id: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(f"v{INDEX_VERSION}\0{model_id}\0".encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def offtopic_texts(offtopic: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(group, message) for every off-topic example, in file order."""
    return [(g, t) for g, texts in offtopic.items() for t in texts]


def _all_texts(
    matching: MatchingData, checker: RedFlagChecker, offtopic: Sequence[tuple[str, str]]
) -> list[str]:
    return (
        [t for _, _, t in matching.index_texts]
        + list(checker.exemplars)
        + [f"offtopic:{g}\0{t}" for g, t in offtopic]
    )


def build_index(
    embedder: emb.TextEmbedder,
    matching: MatchingData,
    checker: RedFlagChecker,
    unit_ids: list[str],
    offtopic: Sequence[tuple[str, str]] = (),
) -> tuple[VectorIndex, str]:
    texts = [t for _, _, t in matching.index_texts] + list(checker.exemplars)
    texts += [t for _, t in offtopic]
    vecs = embedder.embed(texts)
    n = len(matching.index_texts)
    m = n + len(checker.exemplars)
    pos = {u: i for i, u in enumerate(unit_ids)}
    owners = np.array([pos[u] for u, _, _ in matching.index_texts], dtype=np.int32)
    kinds = np.array([k for _, k, _ in matching.index_texts], dtype=np.int8)
    key = index_key(embedder.model_id, _all_texts(matching, checker, offtopic))
    return VectorIndex(vecs[:n], owners, kinds, vecs[n:m], vecs[m:]), key


def save_index(path: Path, index: VectorIndex, key: str) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        key=np.array(key),
        vectors=index.vectors.astype(np.float32),
        owners=index.owners,
        kinds=index.kinds,
        redflag_vectors=index.redflag_vectors.astype(np.float32),
        offtopic_vectors=index.offtopic_vectors.astype(np.float32),
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
                data["offtopic_vectors"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
