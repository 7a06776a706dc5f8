"""What the engine runs per message: model runs (at most one per message: none when a red-flag
rule decides or the fast path is sure) and the phrase look-up by first word (the same results as a
scan of every phrase)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge.engine import Engine
from knowledge.matching import _index_of

DATA = Path(__file__).resolve().parents[1] / "data"


class CountingEmbedder:
    """The real embedder, counting the texts each model run gets."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.runs: list[list[str]] = []

    def embed_one(self, text: str) -> np.ndarray:
        self.runs.append([text])
        return np.asarray(self.inner.embed_one(text))

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        self.runs.append(list(texts))
        return np.asarray(self.inner.embed(texts, batch))


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine.load()
    assert e.semantic, "the model must be installed for these tests"
    return e


@pytest.fixture
def counting(engine: Engine) -> Any:
    real = engine.embedder
    spy = CountingEmbedder(real)
    engine.embedder = spy  # type: ignore[assignment]
    try:
        yield spy
    finally:
        engine.embedder = real


@pytest.fixture
def model_only(engine: Engine) -> Any:
    """The engine with its fast path off: every message the rules leave goes to the model."""
    fast = engine.fast
    engine.fast = None
    try:
        yield engine
    finally:
        engine.fast = fast


def _messages() -> list[str]:
    rows = [json.loads(x) for x in (DATA / "dev.jsonl").read_text().splitlines() if x.strip()]
    rows += [
        json.loads(x)
        for x in (DATA / "heldout_redflags.jsonl").read_text().splitlines()
        if x.strip()
    ]
    return [str(r["q"]) for r in rows]


URGENT_BY_RULE = "my legs are numb and I cannot control my bladder"
STORY = "I'm 40 and I walk about 20 minutes a day. how fast should I walk?"


def test_a_batch_runs_the_model_once_for_all_its_messages(
    model_only: Engine, counting: Any
) -> None:
    engine = model_only
    questions = [STORY, "what shoes should I wear?", "how fast should I walk?", STORY]
    engine.answer_many(questions)
    assert len(counting.runs) == 1
    # each distinct message once, the question part of the story not apart (embed_focus is off)
    assert sorted(counting.runs[0]) == sorted(
        {engine.analyzer.analyse(q).corrected_text for q in questions}
    )


def test_a_red_flag_found_by_rule_costs_no_model_run(model_only: Engine, counting: Any) -> None:
    engine = model_only
    assert engine.checker.check_rules(engine.analyzer.analyse(URGENT_BY_RULE))[0] is not None
    r = engine.answer(URGENT_BY_RULE)
    assert r.kind == "urgent"
    assert counting.runs == []
    many = engine.answer_many([URGENT_BY_RULE, "how fast should I walk?"])
    assert [m.kind for m in many] == ["urgent", "answer"]
    assert counting.runs == [[engine.analyzer.analyse("how fast should I walk?").corrected_text]]


def test_the_model_check_still_runs_when_no_rule_fires(engine: Engine, counting: Any) -> None:
    rules = engine.checker.rules
    engine.checker.rules = []
    try:
        many = engine.answer_many(["urine just leaks out of me and i can't stop it"])
    finally:
        engine.checker.rules = rules
    assert many[0].kind == "urgent"
    assert many[0].flag is not None and many[0].flag.rule.startswith("model:")
    assert len(counting.runs) == 1


CLEAR_CUT = "how many steps per minute should I aim for?"
#: no rule fires, but "fever" is a cue of the model's red-flag check
CUED = "I have had a bit of a fever this week, is walking still ok?"


def test_a_clear_cut_question_costs_no_model_run(engine: Engine, counting: Any) -> None:
    r = engine.answer(CLEAR_CUT)
    assert (r.kind, r.id) == ("answer", "cadence")
    assert counting.runs == []


def test_a_batch_sends_only_what_the_fast_path_left_to_the_model(
    engine: Engine, counting: Any
) -> None:
    many = engine.answer_many([CLEAR_CUT, CUED, URGENT_BY_RULE])
    assert [m.kind for m in many][::2] == ["answer", "urgent"]
    assert counting.runs == [[engine.analyzer.analyse(CUED).corrected_text]]


def test_a_red_flag_cue_always_goes_to_the_model(engine: Engine, counting: Any) -> None:
    a = engine.analyzer.analyse(CUED)
    flag, read = engine.checker.check_rules(a)
    assert flag is None and engine.checker.cued(read)
    engine.answer(CUED)
    assert len(counting.runs) == 1


def test_the_fast_path_answers_as_the_model_would(engine: Engine) -> None:
    """Over the project's own sets: the same kind and unit as the model alone for all but a
    handful, never a different red-flag verdict, and most questions without a model run."""
    fast = engine.fast
    assert fast is not None, "the static table must ship with the model"
    differ, decided = [], 0
    for text in _all_own_messages():
        a, rules = engine._read(text)
        quick = engine._fast(text, a, rules)
        slow = engine._decide(text, a, rules, None)
        if quick is None:
            continue
        decided += 1
        assert (quick.kind == "urgent") == (slow.kind == "urgent"), text
        if (quick.kind, quick.id) != (slow.kind, slow.id):
            differ.append(text)
    assert decided >= 150
    assert len(differ) <= 0.01 * decided, differ


def _all_own_messages() -> list[str]:
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        out += [str(r["q"]) for r in rows if "q" in r]
    return out


def _scan_phrase_scores(engine: Engine, stems: Sequence[str]) -> np.ndarray:
    index = _index_of(stems)
    kw = np.zeros(len(engine.unit_ids), dtype=np.float32)
    for i, uid in enumerate(engine.unit_ids):
        kw[i] = sum(w for p, w in engine.matching.units[uid].phrases if p.spans(stems, index))
    return kw


def test_phrase_lookup_by_first_word_equals_a_full_scan(engine: Engine) -> None:
    hits = 0
    for text in _messages():
        a = engine.analyzer.analyse(text)
        index = _index_of(a.stems)
        fast = engine._phrase_scores(a, index)
        assert fast.tolist() == _scan_phrase_scores(engine, a.stems).tolist(), text
        hits += int(fast.any())
        for concept in engine.checker.concepts.values():
            masked: set[int] = set()
            for ex in concept.exclude:
                for s, e in ex.spans(a.stems, index):
                    masked.update(range(s, e))
            scan = [
                (s, e)
                for p in concept.phrases
                for s, e in p.spans(a.stems, index)
                if not masked.intersection(range(s, e))
            ]
            assert concept.spans(a.stems, index) == scan, (text, concept.name)
    assert hits > 50  # the comparison saw real matches


def test_not_covered_and_topic_lookups_equal_a_full_scan(engine: Engine) -> None:
    m = engine.matching
    seen = {"topic": 0, "reason": 0}
    extra = ["do I need ice or heat after a walk?", "what about my tennis game?"]
    for text in [*_messages(), *extra]:
        a = engine.analyzer.analyse(text)
        index = _index_of(a.stems)
        topic = m.topic.hits(a.stems, index)
        assert topic == [p for p in m.topic if p.spans(a.stems, index)], text
        masked = {i for p in m.allow for s, e in p.spans(a.stems, index) for i in range(s, e)}
        scan = ""
        for reason, phrases in (("treatment", m.treatment), ("not_covered", m.not_covered)):
            if not scan and any(
                not masked.intersection(range(s, e))
                for p in phrases
                for s, e in p.spans(a.stems, index)
            ):
                scan = reason
        if not scan and not [p for p in m.walking if p.spans(a.stems, index)]:
            if any(
                not masked.intersection(range(s, e))
                for p in m.elsewhere
                for s, e in p.spans(a.stems, index)
            ):
                scan = "off_topic"
        assert engine._not_covered(a.stems, index) == scan, text
        seen["topic"] += bool(topic)
        seen["reason"] += bool(scan)
    assert seen["topic"] > 20 and seen["reason"] > 0
