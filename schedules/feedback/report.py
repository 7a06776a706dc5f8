"""Answer feedback ("Was this helpful?") and the content report (pure: no database, no Discord).

- :class:`Vote`: one person's vote on one answer: ``user_id``, ``answer_id`` (the id of the
  bot's answer message: one vote per person per answer, a re-vote replaces it), ``unit_id`` (a
  contract unit id), ``question`` (what was asked, normalised and cut to 300 characters) and
  ``helpful``.
- :func:`normalise_question`: how a question is stored: Unicode NFKC, control and invisible format
  characters removed (so nothing in a stored question can drive a terminal), whitespace collapsed,
  at most :data:`MAX_QUESTION` characters.
- :func:`group_questions`: the most frequent questions, with near-duplicates grouped: questions
  are compared by :func:`question_key` (case, punctuation and apostrophes ignored), identical keys
  are counted together, then keys within :data:`GROUP_THRESHOLD` of a more frequent one
  (rapidfuzz ``token_sort_ratio``: typos and word order) join its group.
- :func:`least_helpful_units`: units with at least ``min_votes`` votes, lowest helpful ratio
  first, each with the questions people found it unhelpful for.
- :func:`build_report` + :func:`format_report`: the plain text ``walkwell report`` prints.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from knowledge.models import UNIT_IDS

__all__ = [
    "DEFAULT_MIN_VOTES",
    "GROUP_THRESHOLD",
    "MAX_QUESTION",
    "QuestionGroup",
    "Report",
    "UnitScore",
    "Vote",
    "VoteLike",
    "build_report",
    "format_report",
    "group_questions",
    "least_helpful_units",
    "normalise_question",
    "question_key",
]

MAX_QUESTION = 300
#: token_sort_ratio (0-100) from which two question keys are the same question.
GROUP_THRESHOLD = 88
#: Keys shorter than SHORT_KEY characters must match at SHORT_THRESHOLD or more.
SHORT_KEY = 12
SHORT_THRESHOLD = 95
#: At most this many distinct questions are fuzzy-grouped (most frequent first); the rest are
#: counted exactly. Bounds the report's time on a large table (grouping is quadratic).
MAX_DISTINCT = 5000
DEFAULT_MIN_VOTES = 5
DEFAULT_LIMIT = 10

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_KEY_RE = re.compile(r"[^\w']+")


def normalise_question(text: str) -> str:
    """The question as stored and shown: one line, clean, at most :data:`MAX_QUESTION` chars."""
    text = unicodedata.normalize("NFKC", text)
    kept = [
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    ]
    text = " ".join("".join(kept).split())
    return text[:MAX_QUESTION].rstrip()


def question_key(text: str) -> str:
    """What makes two questions the same: case, punctuation and apostrophes do not count."""
    text = normalise_question(text).casefold().translate(_APOSTROPHES)
    words = _KEY_RE.sub(" ", text).replace("'", "").split()
    return " ".join(words)


def _unit(value: str) -> str:
    if value not in UNIT_IDS:
        raise ValueError(f"unknown unit id {value!r}")
    return value


class Vote(BaseModel):
    """One vote. Build with keyword arguments; the question is normalised on the way in."""

    model_config = ConfigDict(frozen=True, strict=True)

    user_id: int = Field(gt=0)
    answer_id: int = Field(gt=0)
    unit_id: Annotated[str, AfterValidator(_unit)]
    question: Annotated[str, AfterValidator(normalise_question)] = ""
    helpful: bool


class VoteLike(Protocol):
    """What the report needs from a stored vote."""

    @property
    def unit_id(self) -> str: ...
    @property
    def helpful(self) -> bool: ...
    @property
    def question(self) -> str: ...


@dataclass(frozen=True)
class QuestionGroup:
    """A question and its near-duplicates: ``question`` is the most frequent wording."""

    question: str
    count: int
    variants: tuple[str, ...] = ()  # other wordings, most frequent first (at most 3)


@dataclass(frozen=True)
class UnitScore:
    unit_id: str
    votes: int
    helpful: int
    unhelpful_questions: tuple[QuestionGroup, ...] = ()

    @property
    def ratio(self) -> float:
        return self.helpful / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    votes: int
    helpful: int
    units_voted: int
    unanswered: int
    min_votes: int
    top_unanswered: list[QuestionGroup] = field(default_factory=list)
    least_helpful: list[UnitScore] = field(default_factory=list)


def group_questions(
    questions: Iterable[str],
    *,
    limit: int = DEFAULT_LIMIT,
    threshold: float = GROUP_THRESHOLD,
    max_distinct: int = MAX_DISTINCT,
) -> list[QuestionGroup]:
    """The ``limit`` most frequent questions, near-duplicates grouped, most frequent first."""
    key_counts: Counter[str] = Counter()
    wordings: dict[str, Counter[str]] = {}
    for q in questions:
        shown = normalise_question(q)
        key = question_key(shown)
        if not key:
            continue
        key_counts[key] += 1
        wordings.setdefault(key, Counter())[shown] += 1

    ordered = sorted(key_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    reps: list[str] = []
    members: list[list[str]] = []
    extra: list[list[str]] = []  # beyond max_distinct: their own groups, not compared
    for i, (key, _) in enumerate(ordered):
        if i >= max_distinct:
            extra.append([key])
            continue
        # Short questions need a closer match: one letter is a big part of "shoes".
        cutoff = threshold if len(key) >= SHORT_KEY else max(threshold, SHORT_THRESHOLD)
        match = process.extractOne(key, reps, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff)
        if match is None:
            reps.append(key)
            members.append([key])
        else:
            members[match[2]].append(key)

    groups: list[QuestionGroup] = []
    for keys in members + extra:
        forms: Counter[str] = Counter()
        for k in keys:
            forms.update(wordings[k])
        ranked = [w for w, _ in sorted(forms.items(), key=lambda wc: (-wc[1], wc[0]))]
        groups.append(
            QuestionGroup(
                question=ranked[0],
                count=sum(key_counts[k] for k in keys),
                variants=tuple(ranked[1:4]),
            )
        )
    groups.sort(key=lambda g: (-g.count, g.question.casefold()))
    return groups[: max(0, limit)]


def least_helpful_units(
    votes: Iterable[VoteLike],
    *,
    min_votes: int = DEFAULT_MIN_VOTES,
    limit: int = DEFAULT_LIMIT,
) -> list[UnitScore]:
    """Units with at least ``min_votes`` votes, lowest helpful ratio first (then most votes)."""
    counts: Counter[str] = Counter()
    helpful: Counter[str] = Counter()
    unhelpful_qs: dict[str, list[str]] = {}
    for v in votes:
        counts[v.unit_id] += 1
        if v.helpful:
            helpful[v.unit_id] += 1
        elif v.question:
            unhelpful_qs.setdefault(v.unit_id, []).append(v.question)
    scores = [
        UnitScore(unit_id=u, votes=n, helpful=helpful[u])
        for u, n in counts.items()
        if n >= max(1, min_votes)
    ]
    scores.sort(key=lambda s: (s.ratio, -s.votes, s.unit_id))
    return [
        UnitScore(
            unit_id=s.unit_id,
            votes=s.votes,
            helpful=s.helpful,
            unhelpful_questions=tuple(group_questions(unhelpful_qs.get(s.unit_id, []), limit=3)),
        )
        for s in scores[: max(0, limit)]
    ]


def build_report(
    votes: Iterable[VoteLike],
    unanswered: Iterable[str],
    *,
    now: datetime,
    min_votes: int = DEFAULT_MIN_VOTES,
    limit: int = DEFAULT_LIMIT,
) -> Report:
    """Everything ``walkwell report`` prints. ``now`` (timezone-aware) is shown as its date."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    vote_list = list(votes)
    questions = list(unanswered)
    return Report(
        generated_at=now,
        votes=len(vote_list),
        helpful=sum(1 for v in vote_list if v.helpful),
        units_voted=len({v.unit_id for v in vote_list}),
        unanswered=len(questions),
        min_votes=min_votes,
        top_unanswered=group_questions(questions, limit=limit),
        least_helpful=least_helpful_units(vote_list, min_votes=min_votes, limit=limit),
    )


def _quote(text: str, width: int = 90) -> str:
    text = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return f'"{text}"'


def format_report(report: Report) -> str:
    """The report as plain text for the people who edit the content."""
    lines = [
        f"WalkWell content report ({report.generated_at:%Y-%m-%d %H:%M %Z})",
        f"Feedback: {report.votes} votes on {report.units_voted} units, "
        f"{report.helpful} helpful. Questions the guide could not answer: {report.unanswered}.",
        "",
        "Most frequent questions the guide could not answer",
    ]
    if not report.top_unanswered:
        lines.append("  (none recorded)")
    for i, g in enumerate(report.top_unanswered, 1):
        lines.append(f"  {i:>2}. {g.count:>4} x  {_quote(g.question)}")
        for v in g.variants:
            lines.append(f"               also: {_quote(v, 76)}")
    lines += ["", f"Least helpful units (at least {report.min_votes} votes)"]
    if not report.least_helpful:
        lines.append("  (no unit has enough votes yet)")
    for i, s in enumerate(report.least_helpful, 1):
        lines.append(
            f"  {i:>2}. {s.unit_id:<20} {s.helpful:>4} of {s.votes:<4} helpful ({s.ratio:.0%})"
        )
        for g in s.unhelpful_questions:
            lines.append(f"        not helpful for: {g.count:>3} x  {_quote(g.question, 70)}")
    return "\n".join(lines) + "\n"
