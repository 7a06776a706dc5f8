"""Answer feedback: the vote model, question normalisation, grouping, and the content report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schedules.feedback.report import (
    MAX_QUESTION,
    Vote,
    build_report,
    format_report,
    group_questions,
    least_helpful_units,
    normalise_question,
    question_key,
)

NOW = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    unit_id: str
    helpful: bool
    question: str = ""


# --- the vote --------------------------------------------------------------------------------------


def test_a_vote_names_no_question() -> None:
    v = Vote(user_id=1, answer_id=2, unit_id="cadence", helpful=True)
    assert set(v.model_dump()) == {"user_id", "answer_id", "unit_id", "helpful"}
    with pytest.raises(ValidationError):  # nobody can copy a question into a vote
        Vote(user_id=1, answer_id=2, unit_id="cadence", question="how fast?", helpful=True)  # type: ignore[call-arg]


def test_normalised_questions_are_cut_cleanly() -> None:
    long = normalise_question("word " * 200)
    assert len(long) <= MAX_QUESTION and not long.endswith(" ")


@pytest.mark.parametrize(
    "bad",
    [
        {"unit_id": "not_a_unit"},
        {"user_id": 0},
        {"answer_id": -1},
        {"helpful": "yes"},
        {"helpful": 1},
        {"user_id": "12"},
    ],
)
def test_vote_refuses_bad_fields(bad: dict[str, object]) -> None:
    good: dict[str, object] = {"user_id": 1, "answer_id": 2, "unit_id": "faq_why", "helpful": True}
    Vote(**good)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Vote(**{**good, **bad})  # type: ignore[arg-type]


def test_vote_is_frozen() -> None:
    v = Vote(user_id=1, answer_id=2, unit_id="faq_why", helpful=True)
    with pytest.raises(ValidationError):
        v.helpful = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m alert", "[31mred[0m alert"),  # no escape byte reaches a terminal
        ("line\r\nbreak", "line break"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKC
        ("\u202eevil", "evil"),
        ("   ", ""),
    ],
)
def test_normalise_question(raw: str, expected: str) -> None:
    assert normalise_question(raw) == expected


def test_question_key_ignores_case_punctuation_and_apostrophes() -> None:
    assert question_key("Can't I walk?!") == question_key("cant i walk") == "cant i walk"
    assert question_key("Is it O.K. to walk…") == "is it o k to walk"
    assert question_key("???") == ""


# --- grouping --------------------------------------------------------------------------------------


def test_near_duplicates_are_grouped_and_counted() -> None:
    questions = (
        ["Can I walk with sciatica?"] * 3
        + ["can i walk with sciatica"] * 2
        + ["can i walk with sciatia"]  # typo
        + ["sciatica: can I walk with it"]  # same words, other order
        + ["Is swimming good for back pain?"] * 4
        + ["is cycling good for back pain"] * 2  # a different question
    )
    groups = group_questions(questions)
    assert [(g.question, g.count) for g in groups[:3]] == [
        ("Can I walk with sciatica?", 7),
        ("Is swimming good for back pain?", 4),
        ("is cycling good for back pain", 2),
    ]
    assert "can i walk with sciatica" in groups[0].variants
    assert sum(g.count for g in groups) == len(questions)


def test_different_questions_stay_apart() -> None:
    groups = group_questions(
        ["can i run with sciatica", "can i walk with sciatica", "shoes?", "hoes"]
    )
    assert len(groups) == 4


def test_word_order_does_not_split_a_group() -> None:
    groups = group_questions(["what about knee pain", "knee pain what about"])
    assert [g.count for g in groups] == [2]


def test_grouping_limit_and_empty_input() -> None:
    assert group_questions([]) == []
    assert group_questions(["", "  ", "?!"]) == []
    topics = ["sciatica", "pregnancy", "knee pain", "running shoes", "cold weather", "dogs"]
    qs = [f"what about {t}" for t in topics]
    assert len(group_questions(qs, limit=5)) == 5


def test_grouping_beyond_max_distinct_still_counts_everything() -> None:
    qs = ["alpha question here"] * 3 + ["alpha question her"] + ["zulu other thing"]
    groups = group_questions(qs, max_distinct=1)
    assert sum(g.count for g in groups) == 5


# --- least helpful units ---------------------------------------------------------------------------


def test_least_helpful_units_rank_by_ratio_above_the_threshold() -> None:
    votes = (
        [Row("incline", False, "is a treadmill ok")] * 4
        + [Row("incline", True)]
        + [Row("cadence", True)] * 4
        + [Row("cadence", False, "what is cadence")] * 2
        + [Row("posture", False)] * 3  # below the threshold: not ranked
        + [Row("footwear", True)] * 5
    )
    scores = least_helpful_units(votes, min_votes=5)
    assert [s.unit_id for s in scores] == ["incline", "cadence", "footwear"]
    assert (scores[0].votes, scores[0].helpful) == (5, 1)
    assert scores[0].ratio == pytest.approx(0.2)
    assert scores[0].unhelpful_questions[0].question == "is a treadmill ok"
    assert scores[0].unhelpful_questions[0].count == 4
    assert least_helpful_units(votes, min_votes=3)[0].unit_id == "posture"


def test_ties_prefer_more_votes() -> None:
    votes = [Row("warmup", False)] * 6 + [Row("summary", False)] * 8
    assert [s.unit_id for s in least_helpful_units(votes, min_votes=5)] == ["summary", "warmup"]


# --- the report ------------------------------------------------------------------------------------


def test_questions_count_people_not_rows() -> None:
    pairs = (
        [("Can I swim?", 1)] * 20
        + [("can i swim", 1)]
        + [("Is cycling ok?", 2), ("Is cycling ok?", 3)]
    )
    groups = group_questions(pairs)
    assert [(g.question, g.count) for g in groups] == [("Is cycling ok?", 2), ("Can I swim?", 1)]
    report = build_report([], pairs, now=NOW)
    assert (report.unanswered, report.unanswered_people) == (23, 3)
    assert "23, from 3 people" in format_report(report)
    anonymous = group_questions(["best pizza", "best pizza"])  # no asker: each row is a person
    assert anonymous[0].count == 2


def test_report_text() -> None:
    votes = [Row("incline", False, "treadmill speed?")] * 5 + [Row("faq_why", True, "why walk")] * 6
    unanswered = ["Can I walk with sciatica?"] * 3 + ["Best running shoes brand"] * 2
    report = build_report(votes, unanswered, now=NOW, min_votes=5)
    assert (report.votes, report.helpful, report.units_voted, report.unanswered) == (11, 6, 2, 5)
    text = format_report(report)
    assert "2025-06-18" in text
    assert text.index('"Can I walk with sciatica?"') < text.index('"Best running shoes brand"')
    assert "   3 x" in text
    assert "incline" in text and "0 of 5" in text and "(0%)" in text
    assert text.index("incline") < text.index("faq_why")
    assert '"treadmill speed?"' in text


def test_empty_report_says_so() -> None:
    text = format_report(build_report([], [], now=NOW))
    assert "(none recorded)" in text and "(no unit has enough votes yet)" in text
    assert "0 votes" in text


def test_report_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        build_report([], [], now=datetime(2025, 1, 1))  # noqa: DTZ001


def test_report_lines_carry_no_control_characters() -> None:
    unanswered = ["\x1b]0;pwned\x07 evil\u202e question"] * 2
    text = format_report(build_report([], unanswered, now=NOW))
    assert all(ch == "\n" or ch.isprintable() for ch in text)


def test_long_questions_are_shortened_in_the_report() -> None:
    text = format_report(build_report([], ["walk " * 60], now=NOW))
    line = next(x for x in text.splitlines() if "walk walk" in x)
    assert len(line) < 120 and "…" in line
