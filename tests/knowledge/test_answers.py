"""Answers that hold up in real chat (issue 10): the question sentence first, off-topic examples
as content, treatments as their own kind of "not in the guide", runner-ups when uncertain, and
the tune splits of the shared question sets (the frozen splits are not read here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge.content import CONTENT_DIR, TREATMENT_GROUP, load_offtopic
from knowledge.engine import Engine, Result, question_part
from knowledge.texts import default_texts

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "questions"


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine.load()
    assert e.semantic, "the embedding model should load in the test environment"
    return e


def _got(r: Result) -> str:
    return r.id if r.kind == "answer" and r.id else r.kind


# -- the question sentence first -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("how long should my steps be?", None),  # one sentence
        ("My back hurts. I walk daily.", None),  # no question
        ("is it bad? should i stop?", None),  # all questions
        (
            "I work in a warehouse lifting boxes all day. How many steps a minute should I aim for?",
            "How many steps a minute should I aim for?",
        ),
        (
            "My physio is great. I had surgery last year. what shoes should I wear for walking",
            "what shoes should I wear for walking",
        ),
        # a question that points back reads the sentence before it
        (
            "My doctor gave me naproxen last week. Is it ok to take it with coffee before I go?",
            "My doctor gave me naproxen last week. Is it ok to take it with coffee before I go?",
        ),
        # a short question reads the sentence before it
        (
            "I carry a heavy bag on one shoulder. Does that matter?",
            "I carry a heavy bag on one shoulder. Does that matter?",
        ),
    ],
)
def test_question_part(text: str, focus: str | None) -> None:
    assert question_part(text) == focus


@pytest.mark.parametrize(
    ("story", "unit"),
    [
        ("I started a new job lifting crates in a warehouse last month.", "cadence"),
        ("My physio says I should get moving after my surgery in the spring.", "cadence"),
        ("I drive a delivery van and take ibuprofen most days.", "footwear"),
    ],
)
def test_a_passing_word_in_the_story_does_not_trip_not_covered(
    engine: Engine, story: str, unit: str
) -> None:
    question = {
        "cadence": "How many steps per minute should I aim for when I walk?",
        "footwear": "What kind of shoes should I wear for my walks?",
    }[unit]
    r = engine.answer(f"{story} {question}")
    assert (r.kind, r.id) == ("answer", unit), r
    # the same words asked about are still not covered
    assert engine.answer(f"{question.split('?')[0]} Also, should I take ibuprofen?").kind == "none"


# -- off-topic examples --------------------------------------------------------------------------


def test_offtopic_examples_are_in_the_index(engine: Engine) -> None:
    groups = load_offtopic()
    assert engine.index is not None
    assert (
        len(engine.offtopic) == sum(map(len, groups.values())) == len(engine.index.offtopic_vectors)
    )
    assert TREATMENT_GROUP in groups


#: off-topic messages that use the guide's words, and treatment questions (own examples)
NOT_IN_THE_GUIDE = {
    "my character in the game walks so slowly, how do i make him run": "off_topic",
    "how many times a day should my spaniel go for a walk": "off_topic",
    "how do i animate a walk cycle for a cartoon dog": "off_topic",
    "anyone up for the quiz later": "off_topic",
    "can i take naproxen before a long walk": "treatment",
    "would a cortisone injection let me walk further": "treatment",
    "is a chiropractor better than walking for my back": "treatment",
    "after my walk my back is sore, which painkiller works best": "treatment",
    "my gp put me on duloxetine, can i still walk every day": "treatment",
    "are there side effects if i take the new tablets before walking": "treatment",
    # a condition that changes the answer counts wherever it stands
    "I'm pregnant and my back aches a lot. How long should each walk be?": "not_covered",
}


@pytest.mark.parametrize(("text", "reason"), NOT_IN_THE_GUIDE.items())
def test_offtopic_and_treatment_messages_are_none_of_their_kind(
    engine: Engine, text: str, reason: str
) -> None:
    r = engine.answer(text)
    assert (r.kind, r.reason) == ("none", reason), (text, r)
    assert r.to_json()["kind"] == "none"


def test_an_edited_offtopic_file_changes_the_answer(tmp_path: Path, engine: Engine) -> None:
    """The list is content: a message that is answered today becomes `none` once a message
    like it is listed (the index is rebuilt for the edited content)."""
    text = "how should i hold my hands on the steering wheel"
    before = engine.answer(text)
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    data = yaml.safe_load((content / "offtopic.yaml").read_text())
    data["groups"]["driving"] = ["where should my hands be on the steering wheel when driving"]
    (content / "offtopic.yaml").write_text(yaml.safe_dump(data))
    edited = Engine.load(
        engine.library,
        index_path=tmp_path / "index.npz",
        offtopic=load_offtopic(content),
    )
    after = edited.answer(text)
    assert after.kind == "none" and after.reason == "off_topic", (before, after)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("my physio said walking is good for my back, how often should i go", "faq_how_often"),
        (
            "I had surgery on my knee years ago. Now my lower back aches on walks. "
            "How long should my steps be?",
            "step_length",
        ),
    ],
)
def test_a_clinician_or_treatment_as_the_source_is_still_answered(
    engine: Engine, text: str, unit: str
) -> None:
    r = engine.answer(text)
    assert (r.kind, r.id) == ("answer", unit), r


# another activity (a sport, a pet, a game...) in the question counts only without a walking word
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what shoes are best for netball", ("none", None)),
        ("golf swing tips? i keep swaying my hips", ("none", None)),
        ("how do i keep my cadence up on the bike", ("none", None)),
        (
            "which shoes should I wear for walking when my back hurts? I also play netball",
            ("answer", "footwear"),
        ),
        (
            "My daughter plays netball. Which shoes should I wear for my walks?",
            ("answer", "footwear"),
        ),
        ("my running shoes are worn out, do I need new ones for my walks", ("answer", "footwear")),
        # the guide's own subjects are not another activity: hands in the arm swing, walking to work
        ("should my wrists be relaxed when I swing my arms", ("answer", "arm_swing")),
        ("i commute on foot 20 mins each way, does that count?", ("answer", "faq_how_often")),
        (
            "I've got a dog so I get out twice a day, is that enough for my back?",
            ("answer", "faq_how_often"),
        ),
    ],
)
def test_another_activity_without_walking_is_not_in_the_guide(
    engine: Engine, text: str, expected: tuple[str, str | None]
) -> None:
    r = engine.answer(text)
    assert (r.kind, r.id) == expected, r
    if r.kind == "none":
        assert r.reason == "off_topic"


def test_the_treatment_message_exists() -> None:
    text = default_texts()("not_in_guide_treatment")
    assert "pharmacist" in text


# -- uncertain answers offer the runner-ups ------------------------------------------------------


def test_a_confident_answer_offers_nothing_and_a_close_call_offers_the_runner_ups(
    engine: Engine,
) -> None:
    sure = engine.answer("How many steps per minute should I aim for?")
    assert (sure.kind, sure.id, sure.suggestions) == ("answer", "cadence", [])
    close = engine.answer("should I walk fast or take long strides")
    assert close.kind == "answer" and close.suggestions
    assert close.id not in close.suggestions
    assert set(close.suggestions) <= set(engine.unit_ids)
    assert set(close.to_json()) == {"kind", "id", "score", "suggestions"}


def test_an_on_topic_none_carries_suggestions(engine: Engine) -> None:
    r = engine.answer("should i take paracetamol before walking with my back pain")
    assert r.kind == "none" and r.suggestions
    assert all(s in engine.unit_ids for s in r.suggestions)


# -- the shared sets, tune splits (the bar is measured by bench/answer_bench.py) ------------------


def _rows(*names: str) -> list[dict]:
    out = []
    for name in names:
        text = (QUESTIONS / f"{name}.tune.jsonl").read_text()
        out += [json.loads(line) for line in text.splitlines() if line.strip()]
    return out


def test_chat_voice_tune_split(engine: Engine) -> None:
    rows = [r for r in _rows("chat", "chat2") if r["expect"] != "urgent"]  # red flags: elsewhere
    results = [(row, engine.answer(row["q"])) for row in rows]
    ok = [_got(r) in [row["expect"], *row.get("alt", [])] for row, r in results]
    assert np.mean(ok) >= 0.9
    said_none = [
        row["expect"] in ("none", *row.get("alt", [])) for row, r in results if r.kind == "none"
    ]
    assert np.mean(said_none) >= 0.85


def test_offtopic_tune_split(engine: Engine) -> None:
    rows = _rows("offtopic", "offtopic2")
    right = [engine.answer(row["q"]).kind == "none" for row in rows]
    assert np.mean(right) >= 0.75
