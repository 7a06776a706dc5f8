"""The answering engine: text in, a :class:`Result` out.

Order of decisions for one message:

1. Red flags (:mod:`knowledge.redflags`): rules over typo-tolerant lexicons, then the gated model
   check. Urgent wins over everything.
2. Not covered (``matching.yaml`` ``not_covered``): heat/ice, mattresses, desks... -> ``none``;
   treatments (``not_covered.treatment``: medication, injections, surgery, manual therapies) ->
   ``none`` with reason ``treatment`` (the bot points to a pharmacist or clinician); another
   activity or subject (``not_covered.elsewhere``: sports, pets, games...) in a question with no
   walking word -> ``none`` (``off_topic``). Suggestions only when the message looked on-topic.
3. Scoring every unit with three signals:
   - semantic: cosine similarity of the question to each unit's example questions, title, aliases
     and body sentences (all-MiniLM-L6-v2, :mod:`knowledge.embedding`; precomputed vectors ship in
     ``knowledge/model/index.npz``);
   - phrases: weighted words/phrases per unit (``matching.yaml`` + the unit's aliases), matched on
     stemmed, typo-corrected words (rapidfuzz at the word level);
   - near-verbatim: rapidfuzz similarity of the whole question to the unit's example questions.
4. Off-topic examples (``offtopic.yaml``) are embedded next to the units: a message nearer to
   one of them than to any unit is ``none`` (reason ``off_topic``, or ``treatment`` for that group).
5. ``none`` when the best unit is too weak (off-topic), else ``answer`` with that unit; the
   runner-ups ride along as suggestions when the best is weak or another unit is close.

The question sentence first: in a message of several sentences (a story, then a question), the
not-covered check reads only the question sentence(s), and the phrase and near-verbatim scores
weigh them above the story (:func:`question_part`), so a passing word in the story (a job, a
physio, lifting a box) neither trips "not covered" nor steers the answer. The model reads the
whole message (one model run per message, none when a red-flag rule decides; ``Tuning.embed_focus``
adds a second for the question).

The fast path (:mod:`knowledge.static`): most messages never reach the model. A message's vector
is first made from a static table of word-piece vectors fitted to imitate the model (~0.05 ms
instead of ~10 ms); when the decision made with it is clear-cut (a strong unit well ahead of the
runner-up and of the off-topic examples, or "not covered" by its words) and no red-flag cue is in
the message, that is the answer. Everything else, every message a red-flag model group is cued
by included, is decided by the model as above.

Without the model (missing, hash mismatch, ``WALKWELL_NO_EMBEDDINGS=1``) the engine still works on
phrases and fuzzy matching alone, with a warning in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import embedding as emb
from knowledge import static
from knowledge.content import (
    TREATMENT_GROUP,
    default_library,
    load_matching,
    load_offtopic,
    load_redflags,
)
from knowledge.matching import (
    INDEX_PATH,
    MatchingData,
    UnitPhrases,
    VectorIndex,
    _all_texts,
    _index_of,
    body_sentences,
    build_index,
    index_key,
    offtopic_texts,
    read_index,
    save_index,
)
from knowledge.models import Library, Unit
from knowledge.redflags import Flag, Reading, RedFlagChecker
from knowledge.spelling import Respeller
from knowledge.static import StaticEmbedder
from knowledge.text import Analysed, Analyzer, question_part
from knowledge.topics import TopicFinder

log = logging.getLogger(__name__)

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
    #: For ``none``: why ("empty", "not_covered", "treatment", "off_topic", "weak"); a
    #: ``treatment`` none gets the pharmacist/clinician pointer (``not_in_guide_treatment``).
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
    #: an answer offers its runner-ups when its score is below this (weak)...
    confident: float = 0.75
    #: ...or when a runner-up reaches this share of the best score (close)
    close_ratio: float = 0.7
    #: off-topic examples: ``none`` when the nearest one beats the best unit's semantic score by
    #: more than this margin (negative: a little below the unit still counts)
    offtopic_margin: float = 0.03
    #: ...and only when that example is at least this near (a faint likeness decides nothing)
    offtopic_min: float = 0.4
    #: ...unless the unit's own phrases are this strong (the message names a unit's topic)
    offtopic_phrase_guard: float = 9.0
    #: several sentences: the story's share of the phrase score (question: 1 - it), and of the
    #: semantic score when ``embed_focus``
    story_weight: float = 0.35
    #: embed the question sentence(s) apart too (a second model run for long messages: on the tune
    #: splits it changed one answer in 450 and raised p99 by half, so it is off)
    embed_focus: bool = False
    #: the fast path (static vectors, :mod:`knowledge.static`) answers alone only when its best
    #: unit scores at least this and leads the runner-up by this margin; else the model decides
    #: (chosen on the tune splits and our own sets, which the table was fitted on too; on our
    #: held-out own_* sets it answers as many right as the model alone)
    fast_top: float = 0.8
    fast_margin: float = 0.1
    #: ...and its best unit is this much nearer than the nearest off-topic example...
    fast_offtopic_gap: float = 0.05
    #: ...or, when the unit's phrases alone score this and point to it too, these smaller ones
    fast_phrases: float = 3.0
    fast_margin_phrases: float = 0.03
    fast_gap_phrases: float = 0.02
    use_fast: bool = True


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
        offtopic: Sequence[tuple[str, str]] = (),
        fast: StaticEmbedder | None = None,
    ) -> None:
        self.library = library
        self.matching = matching
        self.checker = checker
        self.analyzer = analyzer
        self.embedder = embedder if index is not None else None
        self.index = index
        self.tuning = tuning or Tuning()
        self.unit_ids: list[str] = list(library.units)
        self._topics = TopicFinder(library)
        self._phrases = UnitPhrases(matching, self.unit_ids)
        if self.index is not None:
            checker.exemplar_vectors = self.index.redflag_vectors
        #: offtopic.yaml's examples (group, message), in the order of the index's vectors
        self.offtopic = list(offtopic)
        self._offtopic_treatment = np.array(
            [g == TREATMENT_GROUP for g, _ in self.offtopic], dtype=bool
        )
        if self.index is not None and len(self.index.offtopic_vectors) != len(self.offtopic):
            raise ValueError("the vector index does not match the off-topic examples")
        #: the fast path (static vectors in the model's space), only beside the model, which
        #: decides whatever the fast path is unsure of
        self.fast = fast if self.embedder is not None and self.tuning.use_fast else None

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        library: Library | None = None,
        *,
        use_embeddings: bool = True,
        index_path: Path | None = INDEX_PATH,
        tuning: Tuning | None = None,
        offtopic: dict[str, list[str]] | None = None,
    ) -> Engine:
        """Build the engine: content, matching data, red flags, model and vector index.

        ``offtopic`` replaces the shipped ``offtopic.yaml`` groups (an edited content folder).

        The vector index is read from ``index_path`` when it matches the model and the content;
        otherwise it is rebuilt (and written back when the folder is writable).
        """
        if library is None:
            library = default_library()
        matching = MatchingData(library, load_matching())
        checker = RedFlagChecker(load_redflags())
        pairs = offtopic_texts(load_offtopic() if offtopic is None else offtopic)
        common = emb.known_words()
        words = matching.words() | checker.words()
        respell = Respeller(words, common, matching.rewrites)
        analyzer = Analyzer(matching.rewrites, words, common, respell)
        embedder = emb.try_load() if use_embeddings else None
        index: VectorIndex | None = None
        if embedder is not None:
            texts = _all_texts(matching, checker, pairs)
            key = index_key(embedder.model_id, texts)
            if index_path is not None and index_path.is_file():
                index = read_index(index_path, key)
            if index is None:
                log.info("embedding index is stale or missing: rebuilding (%d texts)", len(texts))
                index, key = build_index(embedder, matching, checker, list(library.units), pairs)
                if index_path is not None:
                    try:
                        save_index(index_path, index, key)
                    except OSError as exc:
                        log.info("could not save the embedding index to %s: %s", index_path, exc)
        fast = static.try_load() if embedder is not None and (tuning or Tuning()).use_fast else None
        return cls(library, matching, checker, analyzer, embedder, index, tuning, pairs, fast)

    @property
    def semantic(self) -> bool:
        """True when the embedding model is in use (False = degraded, keywords only)."""
        return self.embedder is not None

    # -- answering ---------------------------------------------------------------------------
    def answer_many(self, texts: Sequence[str]) -> list[Result]:
        """:meth:`answer` for several messages, their embeddings computed in one batch (the bot
        micro-batches questions that arrive together: ``bot/exts/ask/batcher.py``). Each message
        is read once; one the red-flag rules already decide costs no model run."""
        read = [self._read(t) for t in texts]
        fast = [self._fast(t, a, rules) for t, (a, rules) in zip(texts, read, strict=True)]
        vectors: dict[str, np.ndarray] = {}
        if self.embedder is not None:
            pending = list(
                dict.fromkeys(
                    a.corrected_text
                    for (a, rules), f in zip(read, fast, strict=True)
                    if f is None and a.corrected and not rules[0]
                )
            )
            try:
                vectors = (
                    dict(zip(pending, self.embedder.embed(pending), strict=True)) if pending else {}
                )
            except Exception:  # one by one instead (each falls back to keywords on failure)
                log.exception("batch embedding failed; embedding one by one")
        return [
            f if f is not None else self._decide(t, a, rules, vectors)
            for t, (a, rules), f in zip(texts, read, fast, strict=True)
        ]

    def answer(self, text: str, *, vectors: Mapping[str, np.ndarray] | None = None) -> Result:
        """The engine's answer to one message (never raises on user input). ``vectors``:
        embeddings already computed, by corrected text (:meth:`answer_many`)."""
        a, rules = self._read(text)
        fast = self._fast(text, a, rules) if vectors is None else None
        return fast if fast is not None else self._decide(text, a, rules, vectors)

    def _read(self, text: str) -> tuple[Analysed, tuple[Flag | None, Reading]]:
        """The analysed message and the red-flag rules' verdict on it (no model yet)."""
        a = self.analyzer.analyse(text or "")
        if not a.corrected:
            return a, (None, ({}, None))
        return a, self.checker.check_rules(a)

    def _fast(self, text: str, a: Analysed, rules: tuple[Flag | None, Reading]) -> Result | None:
        """The fast path: the answer from the static vectors when it is clear-cut (a clear best
        unit, or "not covered" by its words) and no red-flag cue wants the model; else None."""
        if self.fast is None or not a.corrected or rules[0]:
            return None
        if self.checker.cued(rules[1]):
            return None
        vec = self.fast.embed_known(a.corrected_text)
        if vec is None:  # a word the table was not fitted on: the model reads it
            return None
        fast = self.fast
        result, sure = self._judge(text, a, lambda x: fast.embed_one(x.corrected_text), vec)
        return result if sure else None

    def _decide(
        self,
        text: str,
        a: Analysed,
        rules: tuple[Flag | None, Reading],
        vectors: Mapping[str, np.ndarray] | None,
    ) -> Result:
        if not a.corrected:
            return Result("none", None, 0.0, [], reason="empty")
        flag = rules[0]
        if flag is not None:  # by rule: no model run needed
            return Result("urgent", None, 1.0, [], flag=flag)
        vec = vectors.get(a.corrected_text) if vectors else None
        vec = vec if vec is not None else self._embed(a)
        flag = self.checker.check_model(a, rules[1], vec, self._embed)
        if flag is not None:
            return Result("urgent", None, 1.0, [], flag=flag)
        return self._judge(text, a, self._embed, vec)[0]

    def _judge(
        self,
        text: str,
        a: Analysed,
        embed: Callable[[Analysed], np.ndarray | None],
        vec: np.ndarray | None = None,
    ) -> tuple[Result, bool]:
        """Not covered, off-topic or the best unit, with vectors from ``embed`` (the model, or
        the fast path's table; ``vec``: the message's, already made); and whether that is
        clear-cut (the fast path's test)."""
        focus_text = question_part(text or "")
        q = self.analyzer.analyse(focus_text) if focus_text else None
        if q is not None and not q.corrected:
            q = None
        index = _index_of(a.stems)
        q_index = _index_of(q.stems) if q is not None else None
        vec = vec if vec is not None else embed(a)
        q_vec = embed(q) if q is not None and vec is not None and self.tuning.embed_focus else None
        query = self._query_vector(vec, q_vec)
        scores = self.score(a, query, index, focus=q, focus_index=q_index)
        order = np.argsort(-scores.combined, kind="stable")
        best = int(order[0])
        top = float(scores.combined[best])
        on_topic = bool(self.matching.topic.hits(a.stems, index))
        t = self.tuning

        # The question sentence(s) decide "not covered": the story is only context.
        nc_stems, nc_index = (q.stems, q_index) if q is not None and q_index else (a.stems, index)
        if scores.fuzzy[best] < 0.9:
            reason = self._not_covered(nc_stems, nc_index)
            if not reason and self.matching.anywhere.hits(a.stems, index):
                reason = "not_covered"
            if reason:  # by words alone: as sure on either path
                suggestions = self._suggest(scores, order, on_topic)
                return Result("none", None, _clip(top), suggestions, reason=reason), True
        gap = float("inf")
        if query is not None:
            off, gap = self._offtopic(query, scores, best)
            if off:
                suggestions = self._suggest(scores, order, on_topic)
                return Result("none", None, _clip(top), suggestions, reason=off), False
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
            suggestions = self._suggest(scores, order, on_topic)
            return Result("none", None, _clip(top), suggestions, reason="weak"), False
        second = float(scores.combined[int(order[1])]) if len(order) > 1 else 0.0
        rest: list[str] = []
        if top < t.confident or second >= t.close_ratio * top:  # weak, or another is close
            rest = [
                self.unit_ids[int(i)]
                for i in order[1 : 1 + t.max_suggestions]
                if scores.combined[int(i)] >= t.suggestion_ratio * top
            ]
        # clear-cut: a strong best unit well ahead of the runner-up and far from the off-topic
        # examples; or a little ahead, a little nearer, and the best by its phrases alone too
        kw = float(scores.phrases[best])
        by_phrases = int(np.argmax(scores.phrases)) == best and kw >= t.fast_phrases
        lead = top - second
        sure = top >= t.fast_top and (
            (lead >= t.fast_margin and gap >= t.fast_offtopic_gap)
            or (by_phrases and lead >= t.fast_margin_phrases and gap >= t.fast_gap_phrases)
        )
        return Result("answer", self.unit_ids[best], _clip(top), rest), sure

    def _query_vector(self, vec: np.ndarray | None, q_vec: np.ndarray | None) -> np.ndarray | None:
        """The vector the index is compared with: the question sentence(s) weighed above the
        story (a linear mix, so each dot product is the same mix of the two cosines)."""
        if vec is None or q_vec is None:
            return vec
        w = self.tuning.story_weight
        return (1.0 - w) * q_vec + w * vec

    def _offtopic(self, query: np.ndarray, scores: Scores, best: int) -> tuple[str, float]:
        """ "off_topic"/"treatment" when an off-topic example is nearer than any unit, else "";
        and how much nearer the best unit is than the nearest example (the fast path's guard)."""
        if self.index is None or not len(self.offtopic):
            return "", float("inf")
        t = self.tuning
        sims = self.index.offtopic_vectors @ query
        k = int(np.argmax(sims))
        near, sem = float(sims[k]), float(scores.semantic[best])
        if (
            float(scores.fuzzy[best]) >= 0.9
            or float(scores.phrases[best]) >= t.offtopic_phrase_guard
        ):
            return "", sem - near
        if near >= t.offtopic_min and near > sem + t.offtopic_margin:
            return ("treatment" if self._offtopic_treatment[k] else "off_topic"), sem - near
        return "", sem - near

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

    def _not_covered(self, stems: Sequence[str], index: dict[str, list[int]]) -> str:
        """ "treatment", "not_covered", "off_topic" (``elsewhere`` without a ``walking`` word) or ""
        for the words of a message (``allow`` masks)."""
        masked: set[int] = set()
        for p in self.matching.allow.in_message(index):
            for s, e in p.spans(stems, index):
                masked.update(range(s, e))
        for reason, phrases in (
            ("treatment", self.matching.treatment),
            ("not_covered", self.matching.not_covered),
        ):
            for p in phrases.in_message(index):
                for s, e in p.spans(stems, index):
                    if not masked.intersection(range(s, e)):
                        return reason
        # another activity or subject (a sport, a pet, a game...) with no word of walking
        if not self.matching.walking.hits(stems, index):
            for p in self.matching.elsewhere.in_message(index):
                for s, e in p.spans(stems, index):
                    if not masked.intersection(range(s, e)):
                        return "off_topic"
        return ""

    def score(
        self,
        a: Analysed,
        vec: np.ndarray | None,
        index: dict[str, list[int]] | None = None,
        *,
        focus: Analysed | None = None,
        focus_index: dict[str, list[int]] | None = None,
    ) -> Scores:
        """Per-unit scores (in library order) for an analysed message.

        With ``focus`` (the question sentences of a longer message) the phrase score weighs the
        focus above the rest of the message and near-verbatim matching reads the focus; ``vec``
        is then the mixed query vector (:meth:`_query_vector`).
        """
        t = self.tuning
        index = index if index is not None else _index_of(a.stems)
        kw = self._phrase_scores(a, index)
        fz = self._fuzzy_scores(a.corrected_text)
        if focus is not None:
            f_index = focus_index if focus_index is not None else _index_of(focus.stems)
            kw_focus = self._phrase_scores(focus, f_index)
            kw = kw_focus + t.story_weight * (kw - kw_focus)
            fz = np.maximum(fz, self._fuzzy_scores(focus.corrected_text))
        sem = np.zeros(len(self.unit_ids), dtype=np.float32)
        if vec is not None and self.index is not None:
            sims = self.index.vectors @ vec
            sims = sims - t.body_penalty * self.index.kinds
            np.maximum.at(sem, self.index.owners, sims)
        kw_norm = kw / (kw + t.kw_half)
        combined = sem + t.kw_weight * kw_norm + t.fuzzy_weight * fz
        if vec is None:
            combined = kw_norm + t.fuzzy_weight * fz
        return Scores(combined, sem, kw, fz)

    def _phrase_scores(self, a: Analysed, index: dict[str, list[int]]) -> np.ndarray:
        return self._phrases.scores(a.stems, index)

    def _fuzzy_scores(self, text: str) -> np.ndarray:
        t = self.tuning
        fz = np.zeros(len(self.unit_ids), dtype=np.float32)
        for i, uid in enumerate(self.unit_ids):
            examples = self.matching.units[uid].examples
            if examples:
                hit = process.extractOne(text, examples, scorer=fuzz.ratio)
                if hit is not None and hit[1] > t.fuzzy_floor:
                    fz[i] = (hit[1] - t.fuzzy_floor) / (100.0 - t.fuzzy_floor)
        return fz

    # -- /guide autocomplete -----------------------------------------------------------------
    def topics(self, partial: str, limit: int = 25) -> list[Unit]:
        """Units whose id, title or alias fuzzily matches ``partial`` (best first); an empty
        ``partial`` gives every unit in guide order (:class:`knowledge.topics.TopicFinder`)."""
        return self._topics.find(partial, limit)

    # -- debugging ---------------------------------------------------------------------------
    def explain(self, text: str) -> dict[str, Any]:
        """Scores per unit for one message (for tuning and bug reports)."""
        a = self.analyzer.analyse(text or "")
        focus_text = question_part(text or "")
        q = self.analyzer.analyse(focus_text) if focus_text else None
        vec = self._embed(a)
        s = self.score(a, vec, focus=q if q is not None and q.corrected else None)
        order = np.argsort(-s.combined)[:5]
        return {
            "corrected": a.corrected_text,
            "question": focus_text,
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


__all__ = [
    "INDEX_PATH",
    "Engine",
    "Result",
    "Scores",
    "Tuning",
    "_all_texts",
    "body_sentences",
    "index_key",
    "question_part",
    "read_index",
]
