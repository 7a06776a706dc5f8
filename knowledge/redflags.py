"""Red flags first: recognise messages that need care, not walking tips.

The lexicons and rules are content (``knowledge/content/redflags.yaml``); this module reads them.
Two layers:

1. Rules over concepts. A concept is a list of short phrases matched on stemmed, typo-corrected
   words (see :mod:`knowledge.text`); most rules need two cues (bladder + loss of control,
   numbness + groin, a fall + back pain), a few phrases are enough alone ("pooped myself",
   "kms", "chest pain").
2. A model check (optional, for what no rule caught): groups of exemplars, each gated by a cue
   concept (bladder words for the bladder group, a fall for the trauma group...): the message is
   urgent when it holds the cue and its meaning is close enough to one of the group's exemplars.
   So "walking hurts my back, what am I doing wrong" (no cue) never trips it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from knowledge.content import load_redflags
from knowledge.spelling import Respeller
from knowledge.text import Analysed, Analyzer, normalise, stem

GAP = "*"
#: How many words "*" may stand for.
MAX_GAP = 3


@dataclass(frozen=True)
class Flag:
    """A red flag found in a message."""

    rule: str  # which rule fired (e.g. "bladder_bowel", "self_harm", "model:emergency")
    care: str  # "emergency" | "urgent" | "crisis"
    evidence: tuple[str, ...] = ()  # the words that made it fire (for logs and tests)


Span = tuple[int, int]  # [start, end) word positions
#: what the rules read: the concepts found (of the second pass when there is one), and the second
#: pass's concepts (None without one)
Reading = tuple[dict[str, list[Span]], dict[str, list[Span]] | None]


class Phrase:
    __slots__ = ("first", "parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        toks = [GAP if t == GAP else t for t in _phrase_tokens(text)]
        while toks and toks[0] == GAP:
            toks.pop(0)
        self.parts: tuple[str, ...] = tuple(toks)
        self.first = self.parts[0] if self.parts else ""

    def spans(self, stems: Sequence[str], index: dict[str, list[int]]) -> list[Span]:
        out: list[Span] = []
        for start in index.get(self.first, ()):
            end = _match_from(self.parts, 1, stems, start + 1)
            if end is not None:
                out.append((start, end))
        return out


def by_first(phrases: Sequence[Phrase]) -> dict[str, list[int]]:
    """Positions of ``phrases`` by their first word (see :func:`candidates`)."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(phrases):
        out[p.first].append(i)
    return dict(out)


def candidates(firsts: dict[str, list[int]], index: dict[str, list[int]]) -> list[int]:
    """Positions (ascending) of the phrases whose first word is in the message: the only ones
    that can match, in their original order (so results equal a scan over all of them)."""
    if len(index) <= len(firsts):
        keys = [k for k in index if k in firsts]
    else:
        keys = [k for k in firsts if k in index]
    if len(keys) == 1:
        return firsts[keys[0]]
    return sorted(i for k in keys for i in firsts[k])


class Phrases:
    """Phrases in their order, found by first word: a message is tried only against the phrases
    whose first word it holds (the same hits, in the same order, as a scan of all of them)."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._items = tuple(phrases)
        self._firsts = by_first(self._items)

    def __iter__(self) -> Iterator[Phrase]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def in_message(self, index: dict[str, list[int]]) -> list[Phrase]:
        """The phrases whose first word is in the message (``index``): the only ones that can
        match."""
        return [self._items[i] for i in candidates(self._firsts, index)]

    def hits(self, stems: Sequence[str], index: dict[str, list[int]]) -> list[Phrase]:
        """The phrases found in the message, in their order."""
        return [p for p in self.in_message(index) if p.spans(stems, index)]


def _phrase_tokens(text: str) -> list[str]:
    out: list[str] = []
    for chunk in text.split():
        if chunk == GAP:
            out.append(GAP)
        else:
            out.extend(stem(t) for t in normalise(chunk).split())
    return out


def _match_from(parts: tuple[str, ...], i: int, stems: Sequence[str], pos: int) -> int | None:
    if i == len(parts):
        return pos
    if parts[i] == GAP:
        for skip in range(MAX_GAP + 1):
            end = _match_from(parts, i + 1, stems, pos + skip)
            if end is not None:
                return end
        return None
    if pos < len(stems) and stems[pos] == parts[i]:
        return _match_from(parts, i + 1, stems, pos + 1)
    return None


@dataclass
class Concept:
    name: str
    phrases: list[Phrase]
    exclude: list[Phrase] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._phrases = Phrases(self.phrases)
        self._exclude = Phrases(self.exclude)

    def spans(self, stems: Sequence[str], index: dict[str, list[int]]) -> list[Span]:
        found = self._phrases.in_message(index)
        if not found:
            return []
        masked: set[int] = set()
        for ex in self._exclude.in_message(index):
            for s, e in ex.spans(stems, index):
                masked.update(range(s, e))
        out = []
        for p in found:
            for s, e in p.spans(stems, index):
                if not masked.intersection(range(s, e)):
                    out.append((s, e))
        return out


@dataclass(frozen=True)
class ModelGroup:
    id: str
    care: str
    cue: tuple[str, ...]
    threshold: float
    exemplars: tuple[str, ...]
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class NearMiss:
    """An ordinary word that is a red-flag word misspelled only next to a cue ("bowls" for bowels
    near "control"): read as `means` when a phrase of concept `near` is within `window` words."""

    stem: str
    means: str
    near: str
    window: int


@dataclass(frozen=True)
class Rule:
    id: str
    care: str
    concepts: tuple[str, ...]
    window: int | None = None


class RedFlagChecker:
    """Checks analysed messages against the red-flag rules (and optionally the model)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.concepts: dict[str, Concept] = {}
        for name, spec in (data.get("concepts") or {}).items():
            self.concepts[name] = Concept(
                name,
                [Phrase(p) for p in spec.get("phrases", []) if str(p).strip()],
                [Phrase(p) for p in spec.get("exclude", []) if str(p).strip()],
            )
        self.rules: list[Rule] = []
        for r in data.get("rules") or []:
            missing = [c for c in r["all"] if c not in self.concepts]
            if missing:
                raise ValueError(f"red-flag rule {r['id']}: unknown concepts {missing}")
            self.rules.append(Rule(r["id"], r["care"], tuple(r["all"]), r.get("window")))
        self.near_misses: list[NearMiss] = []
        for n in data.get("near_misses") or []:
            if n["near"] not in self.concepts:
                raise ValueError(f"red-flag near miss {n['word']}: unknown concept {n['near']}")
            self.near_misses.append(
                NearMiss(stem(str(n["word"])), stem(str(n["means"])), n["near"], int(n["window"]))
            )
        self.groups: list[ModelGroup] = []
        for g in data.get("model_check") or []:
            missing = [c for c in (*g["cue"], *g.get("also", ())) if c not in self.concepts]
            if missing:
                raise ValueError(f"red-flag model check {g['id']}: unknown concepts {missing}")
            self.groups.append(
                ModelGroup(
                    g["id"],
                    g["care"],
                    tuple(g["cue"]),
                    float(g["threshold"]),
                    tuple(str(t) for t in g["exemplars"]),
                    tuple(g.get("also", ())),
                )
            )
        #: every exemplar text, group by group (the engine embeds these once)
        self.exemplars: list[str] = [t for g in self.groups for t in g.exemplars]
        self._slices: list[slice] = []
        start = 0
        for g in self.groups:
            self._slices.append(slice(start, start + len(g.exemplars)))
            start += len(g.exemplars)
        self.exemplar_vectors: np.ndarray | None = None

    # -- vocabulary for the speller ------------------------------------------------------------
    def words(self) -> set[str]:
        out: set[str] = set()
        for c in self.concepts.values():
            for p in itertools.chain(c.phrases, c.exclude):
                out.update(normalise(p.text).split())
        out.discard(GAP)
        return out

    # -- checking ------------------------------------------------------------------------------
    def concept_spans(self, stems: Sequence[str]) -> dict[str, list[Span]]:
        index: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(stems):
            index[s].append(i)
        return {name: c.spans(stems, index) for name, c in self.concepts.items()}

    def _rules(self, stems: Sequence[str], found: dict[str, list[Span]]) -> Flag | None:
        for rule in self.rules:
            spans = [found[c] for c in rule.concepts]
            if not all(spans):
                continue
            combo = _within(spans, rule.window)
            if combo is not None:
                evidence = tuple(" ".join(stems[s:e]) for s, e in combo)
                return Flag(rule.id, rule.care, evidence)
        return None

    def _read(self, stems: list[str]) -> tuple[list[str], dict[str, list[Span]]]:
        """The concepts in `stems`, with near misses read as meant where their cue is near."""
        found = self.concept_spans(stems)
        fixed = list(stems)
        for nm in self.near_misses:
            cues = found.get(nm.near) or []
            for i, s in enumerate(stems):
                if s == nm.stem and any(a - nm.window <= i < b + nm.window for a, b in cues):
                    fixed[i] = nm.means
        if fixed != stems:
            return fixed, self.concept_spans(fixed)
        return fixed, found

    def check(
        self,
        analysed: Analysed,
        vector: np.ndarray | None = None,
        embed: Callable[[Analysed], np.ndarray | None] | None = None,
    ) -> Flag | None:
        """Rules over the message as written, then after the second pass (its ``alt``); then, if
        a question vector is given, the cue-gated model check (of the second pass too, when it
        holds a cue and `embed` can embed it)."""
        flag, read = self.check_rules(analysed)
        if flag is not None:
            return flag
        return self.check_model(analysed, read, vector, embed)

    def check_rules(self, analysed: Analysed) -> tuple[Flag | None, Reading]:
        """The rules alone (no model: a flag here needs no vector), and what they read, for
        :meth:`check_model`."""
        stems, found = self._read(analysed.stems)
        flag = self._rules(stems, found)
        if analysed.alt is None:
            return flag, (found, None)
        alt_stems, alt_found = self._read(analysed.alt.stems)
        alt_flag = self._rules(alt_stems, alt_found)
        if alt_flag is not None:
            return alt_flag, (found, alt_found)
        # The second reading holds the same cue words and found them harmless (an exclusion
        # the disguise had hidden: "cancer scr33ning"): it decides. Otherwise the first stands.
        if flag is not None and not _same_words(flag, alt_stems):
            return flag, (found, alt_found)
        return None, (alt_found, alt_found)

    def check_model(
        self,
        analysed: Analysed,
        read: Reading,
        vector: np.ndarray | None,
        embed: Callable[[Analysed], np.ndarray | None] | None = None,
    ) -> Flag | None:
        """The cue-gated model check, after :meth:`check_rules` found no flag."""
        found, alt_found = read
        if vector is None or self.exemplar_vectors is None:
            return None
        flag = self._model(found, vector)
        if flag is None and analysed.alt is not None and alt_found is not None and embed:
            if any(self._cued(g, alt_found) for g in self.groups):
                alt_vector = embed(analysed.alt)
                if alt_vector is not None:
                    flag = self._model(alt_found, alt_vector)
        return flag

    def cued(self, read: Reading) -> bool:
        """Whether :meth:`check_model` would consult the model for this reading (a group's cue
        is in it): the engine's fast path leaves such messages to the model."""
        return any(self._cued(g, f) for f in read if f for g in self.groups)

    @staticmethod
    def _cued(group: ModelGroup, found: dict[str, list[Span]]) -> bool:
        return any(found.get(c) for c in group.cue) and (
            not group.also or any(found.get(c) for c in group.also)
        )

    def _model(self, found: dict[str, list[Span]], vector: np.ndarray) -> Flag | None:
        assert self.exemplar_vectors is not None
        for group, sl in zip(self.groups, self._slices, strict=True):
            if not self._cued(group, found):
                continue
            sims = self.exemplar_vectors[sl] @ vector
            best = int(np.argmax(sims))
            if float(sims[best]) >= group.threshold:
                return Flag(f"model:{group.id}", group.care, (group.exemplars[best],))
        return None


def _same_words(flag: Flag, stems: Sequence[str]) -> bool:
    """Every word of the flag's evidence is among `stems`."""
    have = set(stems)
    return all(w in have for e in flag.evidence for w in e.split())


def _within(spans: list[list[Span]], window: int | None) -> tuple[Span, ...] | None:
    """One span per concept, all inside `window` words (or anywhere when window is None)."""
    if window is None:
        return tuple(s[0] for s in spans)
    for combo in itertools.product(*spans):
        lo = min(s for s, _ in combo)
        hi = max(e for _, e in combo)
        if hi - lo <= window + 1:
            return combo
    return None


@lru_cache(maxsize=1)
def default_checker() -> RedFlagChecker:
    return RedFlagChecker(load_redflags())


@lru_cache(maxsize=1)
def _default_analyzer() -> Analyzer:
    from knowledge.embedding import known_words
    from knowledge.text import load_rewrites

    rewrites = load_rewrites()
    words = default_checker().words()
    common = known_words()
    return Analyzer(rewrites, words, common, Respeller(words, common, rewrites))


def check(text: str) -> Flag | None:
    """Rule-based red-flag check of one message (no model): a Flag, or None."""
    return default_checker().check(_default_analyzer().analyse(text))
