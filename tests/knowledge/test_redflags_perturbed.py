"""Red flags no spelling can dodge (issue 10): every red-flag example, disguised each way the
second normalisation pass undoes, is still caught; ordinary messages raise at most 2 false alarms
per 100 (the tune splits only: the frozen ``*.test.jsonl`` splits are never read here)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from knowledge.content import load_redflags
from knowledge.engine import Engine
from knowledge.spelling import is_quantity
from knowledge.text import normalise, stem

DATA = Path(__file__).resolve().parents[1] / "data"
QUESTIONS = DATA / "questions"
TUNE_SETS = sorted(QUESTIONS.glob("*.tune.jsonl"))
#: our own held-out set (issue 10), written before the rules it then tuned were changed
OWN_HOLDOUT = QUESTIONS / "own_redflags_holdout.jsonl"

#: red flags written for these tests in the ways issue 10 lists, beyond the content's examples
EXTRA_FLAGS = [
    "I've lost control of my bladder and my back hurts",
    "numbness in my groin since this morning",
    "i want to kill myself",
    "chest pain when I walk uphill",
    "my legs keep giving way under me",
    "i fell down the stairs and my back is agony",
    "back pain with a high fever",
    "losing weight without trying and my back aches at night",
    "i can't control my bowels and my back is killing me",
    "peeing blood and my back aches",
]

CYRILLIC = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "i": "і", "x": "х", "y": "у"}
GREEK = {"o": "ο", "i": "ι", "k": "κ", "a": "α", "v": "ν", "t": "τ"}
DIGITS = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "l": "1"}
SYMBOLS = {"a": "@", "s": "$", "i": "!", "l": "|"}
ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "c": "ç", "n": "ñ"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _tune_rows() -> Iterator[dict[str, object]]:
    for path in TUNE_SETS:
        assert path.name.endswith(".tune.jsonl")
        for line in path.read_text().splitlines():
            if line.strip():
                yield json.loads(line)


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def red_flag_examples() -> list[str]:
    """The content's red-flag examples (every model-check exemplar), the held-out red-flag sets
    and the red-flag phrasings of tests/data, our own held-out set, the urgent messages of the
    tune splits, and EXTRA_FLAGS."""
    out = [t for g in load_redflags()["model_check"] for t in g["exemplars"]]
    paths = [*sorted(DATA.glob("heldout_redflags*.jsonl")), DATA / "redflags_phrasings.jsonl"]
    for path in [*paths, OWN_HOLDOUT]:
        out += [str(r["q"]) for r in _rows(path) if r.get("expect") == "urgent"]
    out += [str(r["q"]) for r in _tune_rows() if r["expect"] == "urgent"]
    return [*out, *EXTRA_FLAGS]


def ordinary_messages() -> list[str]:
    """tests/data/ordinary_messages.txt, the non-urgent messages of the tune splits (the off-topic
    tune sets included) and of our own held-out set."""
    lines = (DATA / "ordinary_messages.txt").read_text().splitlines()
    out = [t for t in lines if t.strip()]
    out += [str(r["q"]) for r in _tune_rows() if r["expect"] != "urgent"]
    out += [str(r["q"]) for r in _rows(OWN_HOLDOUT) if r["expect"] != "urgent"]
    return out


# -- the perturbations -------------------------------------------------------------------------
def _key_words(engine: Engine, text: str) -> list[int]:
    """Positions (in text.split()) of the words that made the flag fire, longest first."""
    flag = engine.answer(text).flag
    assert flag is not None, f"not caught even as written: {text}"
    evidence = {s for e in flag.evidence for s in e.split()}
    if flag.rule.startswith("model:"):
        evidence = {stem(w) for w in normalise(flag.evidence[0]).split()}
    words = text.split()
    hits = [
        i
        for i, w in enumerate(words)
        if w.isalpha() and len(w) >= 3 and any(stem(p) in evidence for p in normalise(w).split())
    ]
    return sorted(hits, key=lambda i: -len(words[i]))[:2]


def _swap(table: dict[str, str], every: bool) -> Callable[[str], str | None]:
    def perturb(word: str) -> str | None:
        if not any(c in table for c in word.lower()):
            return None
        out, done = [], False
        for c in word:
            if c.lower() in table and (every or not done):
                out.append(table[c.lower()])
                done = True
            else:
                out.append(c)
        new = "".join(out)
        # a number, or a number and a unit ("13g", "50113d"), is read as a quantity by design
        return None if is_quantity(new.lower()) else new

    return perturb


def _stretch(word: str) -> str | None:
    vowels = [i for i, c in enumerate(word) if c in "aeiou"]
    i = vowels[0] if vowels else len(word) - 1
    return word[: i + 1] + word[i] * 3 + word[i + 1 :]


def _spaced(word: str) -> str | None:
    return " ".join(word)


def _dotted(word: str) -> str | None:
    return ".".join(word)


def _invisible(word: str) -> str | None:
    return "\u200b".join(word)


def _soft_hyphens(word: str) -> str | None:
    return "\u00ad".join(word)


def _dashed(word: str) -> str | None:
    return "-".join(word)


def _fullwidth(word: str) -> str | None:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)


def _accented(word: str) -> str | None:
    if not any(c in ACCENTED for c in word):
        return None
    return "".join(ACCENTED.get(c, c) for c in word)


def _combining(word: str) -> str | None:
    return "".join(c + "\u0301" if c.isalpha() else c for c in word)


def _mixed_scripts(word: str) -> str | None:
    """Every other letter Cyrillic or Greek where one looks like it."""
    table = {**GREEK, **CYRILLIC}
    return "".join(table.get(c, c) if i % 2 else c for i, c in enumerate(word))


WORD_PERTURBATIONS: dict[str, Callable[[str], str | None]] = {
    "cyrillic": _swap(CYRILLIC, every=False),
    "cyrillic_all": _swap(CYRILLIC, every=True),
    "greek": _swap(GREEK, every=False),
    "digits": _swap(DIGITS, every=False),
    "digits_all": _swap(DIGITS, every=True),
    "stretched": _stretch,
    "spaced": _spaced,
    "dotted": _dotted,
    "zero_width": _invisible,
    "soft_hyphen": _soft_hyphens,
    "dashed": _dashed,
    "fullwidth": _fullwidth,
    "accented": _accented,
    "combining_accents": _combining,
    "mixed_scripts": _mixed_scripts,
    "symbols": _swap(SYMBOLS, every=True),
}


def variants(engine: Engine, text: str) -> Iterator[tuple[str, str]]:
    """(kind, variant) for each perturbation of the message's red-flag words, and the words
    glued to their neighbour."""
    words = text.split()
    for i in _key_words(engine, text):
        for kind, perturb in WORD_PERTURBATIONS.items():
            new = perturb(words[i])
            if new is not None and new != words[i]:
                yield kind, " ".join([*words[:i], new, *words[i + 1 :]])
        for j in (i - 1, i + 1):  # glued to the word before or after
            if 0 <= j < len(words) and words[j].isalpha() and words[min(i, j)].isalpha():
                lo, hi = min(i, j), max(i, j)
                yield "glued", " ".join([*words[:lo], words[lo] + words[hi], *words[hi + 1 :]])
        # glued to the words before and after
        if 0 < i < len(words) - 1 and all(w.isalpha() for w in words[i - 1 : i + 2]):
            yield (
                "glued3",
                " ".join([*words[: i - 1], "".join(words[i - 1 : i + 2]), *words[i + 2 :]]),
            )


# -- the tests ---------------------------------------------------------------------------------
def test_every_perturbed_red_flag_is_caught(engine: Engine) -> None:
    examples = red_flag_examples()
    assert len(examples) >= 150
    tried: dict[str, int] = {}
    missed: list[tuple[str, str]] = []
    for text in examples:
        for kind, variant in variants(engine, text):
            tried[kind] = tried.get(kind, 0) + 1
            if engine.answer(variant).kind != "urgent":
                missed.append((kind, variant))
    assert set(tried) == {*WORD_PERTURBATIONS, "glued", "glued3"}
    assert sum(tried.values()) >= 5000
    assert missed == []


#: two disguises on the same word, the first applied first
PAIRS = [
    ("stretched", "cyrillic"),
    ("stretched", "digits"),
    ("cyrillic", "digits"),
    ("greek", "stretched"),
    ("digits", "spaced"),
    ("cyrillic", "spaced"),
    ("stretched", "spaced"),
    ("digits", "zero_width"),
]


def test_two_disguises_on_one_word_are_caught(engine: Engine) -> None:
    tried, missed = 0, []
    for text in red_flag_examples():
        words = text.split()
        for i in _key_words(engine, text):
            for first, then in PAIRS:
                once = WORD_PERTURBATIONS[first](words[i])
                twice = WORD_PERTURBATIONS[then](once) if once else None
                if not twice or twice == once:
                    continue
                variant = " ".join([*words[:i], twice, *words[i + 1 :]])
                tried += 1
                if engine.answer(variant).kind != "urgent":
                    missed.append(variant)
    assert tried >= 2000
    assert missed == []


def test_no_more_than_two_false_alarms_per_hundred(engine: Engine) -> None:
    messages = ordinary_messages()
    assert len(messages) >= 500
    flagged = [(t, r.flag) for t in messages if (r := engine.answer(t)).kind == "urgent"]
    assert len(flagged) * 100 <= 2 * len(messages), flagged


def test_disguised_ordinary_messages_raise_no_more_false_alarms(engine: Engine) -> None:
    """The same disguises on a word of each ordinary message (one word picked at random with a
    fixed seed): a disguised harmless word must not hide an exclusion ("cancer scr33ning")."""
    rnd = random.Random(7)
    tried, flagged = 0, []
    for text in ordinary_messages():
        words = text.split()
        spots = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 4]
        if not spots:
            continue
        i = rnd.choice(spots)
        variants = [(p(words[i]), words[i + 1 :]) for p in WORD_PERTURBATIONS.values()]
        if i + 1 < len(words) and words[i + 1].isalpha():
            variants.append((words[i] + words[i + 1], words[i + 2 :]))  # glued
        for new, rest in variants:
            if new is None:
                continue
            variant = " ".join([*words[:i], new, *rest])
            tried += 1
            if engine.answer(variant).kind == "urgent":
                flagged.append(variant)
    assert tried >= 4000
    assert len(flagged) * 100 <= 2 * tried, flagged


def test_the_hand_written_disguised_set_is_caught(engine: Engine) -> None:
    rows = [json.loads(line) for line in (DATA / "redflags_disguised.jsonl").open() if line.strip()]
    assert len(rows) >= 30
    assert [r["q"] for r in rows if engine.answer(r["q"]).kind != "urgent"] == []


def test_our_own_held_out_set(engine: Engine) -> None:
    """tests/data/questions/own_redflags_holdout.jsonl (ours, written before the rules were
    changed for it): every red flag caught, at most 2 false alarms per 100 of the rest."""
    rows = _rows(OWN_HOLDOUT)
    urgent = [str(r["q"]) for r in rows if r["expect"] == "urgent"]
    others = [str(r["q"]) for r in rows if r["expect"] != "urgent"]
    assert len(urgent) >= 60 and len(others) >= 60
    assert [q for q in urgent if engine.answer(q).kind != "urgent"] == []
    flagged = [q for q in others if engine.answer(q).kind == "urgent"]
    assert len(flagged) * 100 <= 2 * len(others), flagged


def test_the_red_flag_phrasings_are_caught(engine: Engine) -> None:
    rows = _rows(DATA / "redflags_phrasings.jsonl")
    assert len(rows) >= 90
    assert [r["q"] for r in rows if engine.answer(str(r["q"])).kind != "urgent"] == []


@pytest.mark.parametrize(
    "text",
    [
        "wanttodie",
        "iwanttokillmyself",
        "I have notbeenable to pee since yesterday",
        "I w@$ hit and injured my spine",
        "cant fee| my bum properly",
        "lost contro| of my bowe|$",
        "\uff4e\uff55\uff4d\uff42 groin since yesterday",
        "n\u00fambness in my gr\u00f3in",
        "numb\u00adness in my groin",
        "my calf is swollen and hot and red",
        "been thinking about just ending it",
        "it'd be easier for everyone if I just wasn't here",
        "cant really tell when i need a wee anymore and my back is wrecked",
        "c h e s t  p a i n when i walk",
        "chestpain on my walks lately",
        "numbgroin since yesterday",
        "n.u.m.b down there",
        "i want to k1ll mys3lf",
        "bl00d in my p33",
        "lost contrоl of my blаdder",  # Cyrillic o and a
        "сhеst раin when walking",  # every Latin-looking letter Cyrillic
        "i cant feeeel my groooin",
        "can't control my bowls and my back is killing me",
        "lost control of my bowls this morning",
        "I feel like ending it",
        "honestly I don't see the point anymore",
        "what's the point of anything, I can't do this anymore",
    ],
)
def test_disguised_red_flags(engine: Engine, text: str) -> None:
    assert engine.answer(text).kind == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "we lost at bowls on saturday, my back was fine",
        "what do I eat from a bowl before a walk",
        "my calves feel weak on the hill near my house",
        "weak calves going uphill, normal?",
        "doing a charity walk for a cancer charity next month, how do I train",
        "I'm walking 10k for cancer research, tips for my back?",
        "walked 30min, carried 8kg, aiming for 5k by the 2nd week",
        "I don't see the point of walking in the rain",
        "nearly wet myself laughing at that video",
        "the heatwave is giving me night sweats",
        "my back went lifting a box, no fall or anything",
        "out of breath on hills, is that normal",
        "I could sleep forever after that walk",
        "I wrote a note of my steps each day",
        "done with everything on my list, time for a walk",
        "is there any reason to keep going when my back twinges?",
        "can't go on long walks yet, how do I build up",
        "crashed out on the sofa after my walk, back a bit sore",
        "kinda slipped out of my routine this month, back twinges again",
        "legs feel like jelly after leg day lol",
        "my chest is sore from coughing with a cold, can I still walk",
        "I've lost weight on my diet and my back feels better",
        "I tripped over my words lol, anyway back tips?",
        "so! help! walk!! is that ok?",
        "howdoiwalkbetter with a bad back",
    ],
)
def test_no_false_alarm(engine: Engine, text: str) -> None:
    assert engine.answer(text).kind != "urgent", engine.answer(text).flag
