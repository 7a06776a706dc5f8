"""Red flags: caught in plain words, slang and typos; no false alarm on ordinary questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import redflags
from knowledge.content import load_redflags
from knowledge.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


POSITIVES = [
    ("I've lost control of my bladder", "emergency"),
    ("can't hold my pee and my back hurts", "emergency"),
    ("i pooped myself and didnt notice", "emergency"),
    ("trouble passing urine since yesterday", "emergency"),
    ("peeing blood with back pain", "urgent"),
    ("numb down there", "emergency"),
    ("numbness in my groin", "emergency"),
    ("can't feel anything in my saddle area", "emergency"),
    ("my legs keep giving out", "emergency"),
    ("sudden weakness in my right leg", "emergency"),
    ("my ankle gave way under me twice today", "emergency"),
    ("both knees buckling since this morning", "emergency"),
    ("slipped on ice and now my back hurts", "emergency"),
    ("fell down the stairs, back is agony", "emergency"),
    ("back pain since a car crash", "emergency"),
    ("back pain with a fever", "urgent"),
    ("sweating at night and losing weight", "urgent"),
    ("lost a lot of weight for no reason", "urgent"),
    ("I had cancer and now my back aches", "urgent"),
    ("chest pain when I walk", "emergency"),
    ("my chest feels tight walking uphill", "emergency"),
    ("i want to end it all", "crisis"),
    ("kms", "crisis"),
    ("thinking about suicide", "crisis"),
    ("I'm having thoughts of hurting myself on purpose", "crisis"),
    # typos
    ("lost controll of my bladdr", "emergency"),
    ("numbnes in my grion", "emergency"),
    ("chset pain", "emergency"),
    ("back pain and a feaver", "urgent"),
    ("suicidle thoughts", "crisis"),
    ("i wnat to kil myself", "crisis"),
    ("feaver and backache", "urgent"),
    ("lost controll of my bladdder", "emergency"),
    ("lossing wieght without triyng and back pain", "urgent"),
    ("my calf is swollen in the heat and hot to touch", "urgent"),
    ("my left leg swelled up overnight and the calf is sore", "urgent"),
]

NEGATIVES = [
    "walking hurts my back, what am I doing wrong",
    "my feet go numb in tight shoes",
    "I fell behind on my walks",
    "chest out when walking?",
    "is it a red flag if my knees click",
    "can walking help me lose weight",
    "I want to lose weight and my back hurts at night",
    "the pain in my back is killing me",
    "I'm dying to get better at walking",
    "does walking lower the risk of cancer",
    "I have a slipped disc, can I walk",
    "my heart rate goes up when I walk fast",
    "I'm afraid of falling on icy paths",
    "my legs are tired after a long walk",
    "should I roll my shoulders back",
    "how do I stop my heel slipping in my shoes",
    "can I walk in slip-on shoes",
    "my back hurts when I sit at my desk",
    "my shoes are falling apart",
    "how do I land on my heel",
    "I went on a trip and walked a lot, now my back is sore",
    "I can't walk far without my back aching",
    "what's the best way to pee before a long walk",
    "I get a faint ache in my lower back",
    "I have weak ankles, which shoes",
    "my knee feels weak going downhill",
    "my ankles seem a little weak these days",
    "my arms feel weak when I swing them",
    "walking in cold temperatures makes my back stiff",
    "my legs swell a bit in hot weather after a walk, normal?",
]


@pytest.mark.parametrize(("text", "care"), POSITIVES)
def test_red_flags_caught(text: str, care: str) -> None:
    flag = redflags.check(text)
    assert flag is not None, text
    assert flag.care == care
    assert flag.evidence


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_false_alarm(text: str) -> None:
    assert redflags.check(text) is None


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_false_alarm_with_the_model(engine: Engine, text: str) -> None:
    assert engine.answer(text).kind != "urgent"


def test_urgent_wins_over_an_answer(engine: Engine) -> None:
    r = engine.answer("how many steps per minute should I do? also I have chest pain")
    assert r.kind == "urgent"
    assert r.id is None
    assert r.suggestions == []
    assert r.flag is not None and r.flag.care == "emergency"


def test_urgent_wins_over_not_covered(engine: Engine) -> None:
    assert engine.answer("slipped on ice, should I put heat on my back").kind == "urgent"


def test_exclusion_only_masks_its_own_words() -> None:
    assert redflags.check("I fell behind on my walks") is None
    assert redflags.check("I fell behind on my walks after I fell off my bike and hurt my back")


def test_rules_refer_to_known_concepts() -> None:
    data = load_redflags()
    data["rules"].append({"id": "broken", "care": "urgent", "all": ["no_such_concept"]})
    with pytest.raises(ValueError, match="no_such_concept"):
        redflags.RedFlagChecker(data)


def test_model_check_is_gated_by_its_cue() -> None:
    """Without rules, the model check alone catches close paraphrases that hold the group's cue,
    and never fires on a message without one."""
    e = Engine.load()
    e.checker.rules = []
    caught = [
        "urine just leaks out of me and i can't stop it",
        "i had a really bad fall onto my back yesterday",
        "I have had a high fever and my back is in agony",
        "I wish I were dead",
    ]
    for text in caught:
        r = e.answer(text)
        assert r.kind == "urgent", text
        assert r.flag is not None and r.flag.rule.startswith("model:")
    for text in ["walking hurts my back, what am I doing wrong", "my legs are tired after walking"]:
        assert e.answer(text).kind != "urgent"


def test_ordinary_messages_are_never_urgent(engine: Engine) -> None:
    """~100 everyday messages about pain, walking, idioms ("this pain is killing me", "I fell
    behind"), other people's illnesses and past events: none is a red flag."""
    path = Path(__file__).resolve().parents[1] / "data" / "ordinary_messages.txt"
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) >= 100
    flagged = [(t, r.flag) for t in lines if (r := engine.answer(t)).kind == "urgent"]
    assert flagged == []
