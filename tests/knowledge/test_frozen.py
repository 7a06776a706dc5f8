"""The frozen test splits of the sets written by others (tests/data/questions/*.test.jsonl), as a
floor that later work must not fall below.

Nobody tunes on these splits or reads their misses (tests/data/questions/README.md): this test
says only pass or fail. Its floors are the figures the splits gave when last reported (README
there), less a small margin; they are below issue 10's bar, which the engine does not yet meet on
them. A failure means a change made answers worse on questions nobody tuned on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.engine import Engine, Result

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "questions"
CHAT_VOICE = ("chat", "chat2")


@pytest.fixture(scope="module")
def judged() -> dict[str, list[tuple[dict, Result]]]:
    engine = Engine.load()
    out = {}
    for path in sorted(QUESTIONS.glob("*.test.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        out[path.name.split(".")[0]] = [(row, engine.answer(row["q"])) for row in rows]
    return out


def _got(r: Result) -> str:
    return r.id if r.kind == "answer" and r.id else r.kind


def _ok(row: dict, r: Result) -> bool:
    return _got(r) in (row["expect"], *row.get("alt", []))


def test_every_split_is_there(judged: dict[str, list[tuple[dict, Result]]]) -> None:
    assert set(judged) == {"chat", "chat2", "offtopic", "offtopic2"}
    assert sum(len(v) for v in judged.values()) == 243


def test_chat_voice_stays_above_its_floor(judged: dict[str, list[tuple[dict, Result]]]) -> None:
    pairs = [p for name in CHAT_VOICE for p in judged[name]]
    right = sum(_ok(row, r) for row, r in pairs) / len(pairs)
    answerable = [(row, r) for row, r in pairs if row["expect"] not in ("none", "urgent")]
    oks = [(row["expect"], *row.get("alt", [])) for row, _ in answerable]
    among = sum(
        any(o in ok for o in (_got(r), *r.suggestions))
        for (_, r), ok in zip(answerable, oks, strict=True)
    ) / len(answerable)
    want_none = [r.kind == "none" for row, r in pairs if row["expect"] == "none"]
    assert right >= 0.85
    assert among >= 0.96
    assert sum(want_none) / len(want_none) >= 0.75


def test_offtopic_stays_above_its_floor(judged: dict[str, list[tuple[dict, Result]]]) -> None:
    pairs = judged["offtopic"] + judged["offtopic2"]
    assert sum(_ok(row, r) for row, r in pairs) / len(pairs) >= 0.82


def test_red_flags_and_false_alarms(judged: dict[str, list[tuple[dict, Result]]]) -> None:
    pairs = [p for v in judged.values() for p in v]
    urgent = [r.kind == "urgent" for row, r in pairs if row["expect"] == "urgent"]
    calm = [row for row, r in pairs if row["expect"] != "urgent"]
    alarms = [
        row
        for row, r in pairs
        if row["expect"] != "urgent" and r.kind == "urgent" and not _ok(row, r)
    ]
    assert sum(urgent) >= len(urgent) - 1  # 14 of 15 when last reported; the bar is all
    assert len(alarms) <= 0.02 * len(calm)
