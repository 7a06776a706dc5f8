"""Answer feedback ("Was this helpful?") and the content report (pure: no database, no Discord).

- :class:`Vote`: one person's vote: ``user_id``, ``answer_id`` (the key of the answer voted on),
  ``unit_id`` (a contract unit id) and ``helpful``. Never the text of the question: that stays
  with the asker (the report joins it from the asker's remembered answer while it exists).
- :func:`normalise_question`: how a question is stored: Unicode NFKC, control and invisible format
  characters removed (so nothing in a stored question can drive a terminal), whitespace collapsed,
  at most :data:`MAX_QUESTION` characters.
- :func:`group_questions`: the questions most people asked, with near-duplicates grouped:
  questions are compared by :func:`question_key` (case, punctuation and apostrophes ignored),
  identical keys are counted together, then keys within :data:`GROUP_THRESHOLD` of a more frequent
  one (rapidfuzz ``token_sort_ratio``: typos and word order) join its group. A group counts
  distinct people: give ``(question, asker)`` pairs (a bare string is one more person).
- :class:`QuestionTally` and :class:`VoteTally`: what the report keeps while rows stream in (one
  pass, no list of rows: memory grows with distinct questions and askers, not with rows).
- :func:`least_helpful_units`: units with at least ``min_votes`` votes, lowest helpful ratio
  first, each with the questions people found it unhelpful for.
- :func:`build_report` (or :func:`report_from` on tallies) + :func:`format_report`: the plain
  text ``walkwell report`` prints.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from knowledge.models import UNIT_IDS

__all__ = [
    "DEFAULT_MIN_VOTES",
    "GROUP_THRESHOLD",
    "MAX_QUESTION",
    "QuestionGroup",
    "QuestionTally",
    "Report",
    "UnitScore",
    "Vote",
    "VoteLike",
    "VoteTally",
    "build_report",
    "format_report",
    "group_questions",
    "least_helpful_units",
    "normalise_question",
    "question_key",
    "report_from",
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
    """One vote. Build with keyword arguments. It names no question (extra fields are refused)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    user_id: int = Field(gt=0)
    answer_id: int = Field(gt=0)
    unit_id: Annotated[str, AfterValidator(_unit)]
    helpful: bool


class VoteLike(Protocol):
    """What the report needs from a stored vote (``question``: the asker's, or blank)."""

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
    unanswered_people: int = 0
    top_unanswered: list[QuestionGroup] = field(default_factory=list)
    least_helpful: list[UnitScore] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _shown_and_key(question: str) -> tuple[str, str]:
    """A question as shown, and its key (cached: the same questions come back in a report)."""
    shown = normalise_question(question)
    return shown, question_key(shown)


class QuestionTally:
    """Questions as they stream in: per question key, its wordings and the distinct askers."""

    def __init__(self) -> None:
        self.rows = 0
        self.wordings: dict[str, Counter[str]] = {}
        self.askers: dict[str, set[Hashable]] = {}
        self.anonymous: Counter[str] = Counter()  # rows without an asker, per key
        self.people: set[Hashable] = set()
        self.anonymous_rows = 0

    @property
    def people_count(self) -> int:
        return len(self.people) + self.anonymous_rows

    def add(self, question: str, asker: Hashable | None = None) -> None:
        """One row; ``asker`` None (unknown) counts as one more person."""
        self.rows += 1
        if asker is None:
            self.anonymous_rows += 1
        else:
            self.people.add(asker)
        shown, key = _shown_and_key(question)
        if not key:
            return
        self.wordings.setdefault(key, Counter())[shown] += 1
        askers = self.askers.setdefault(key, set())
        if asker is None:
            self.anonymous[key] += 1
        else:
            askers.add(asker)

    def groups(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        threshold: float = GROUP_THRESHOLD,
        max_distinct: int = MAX_DISTINCT,
    ) -> list[QuestionGroup]:
        """The ``limit`` groups most people asked, most first."""
        size = {k: len(v) + self.anonymous[k] for k, v in self.askers.items()}
        ordered = sorted(size.items(), key=lambda kv: (-kv[1], kv[0]))
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
            people: set[Hashable] = set()
            anonymous = 0
            for k in keys:
                forms.update(self.wordings[k])
                people |= self.askers[k]
                anonymous += self.anonymous[k]
            ranked = [w for w, _ in sorted(forms.items(), key=lambda wc: (-wc[1], wc[0]))]
            groups.append(
                QuestionGroup(
                    question=ranked[0],
                    count=len(people) + anonymous,
                    variants=tuple(ranked[1:4]),
                )
            )
        groups.sort(key=lambda g: (-g.count, g.question.casefold()))
        return groups[: max(0, limit)]


def group_questions(
    questions: Iterable[str | tuple[str, Hashable | None]],
    *,
    limit: int = DEFAULT_LIMIT,
    threshold: float = GROUP_THRESHOLD,
    max_distinct: int = MAX_DISTINCT,
) -> list[QuestionGroup]:
    """The ``limit`` questions most people asked, near-duplicates grouped, most first."""
    tally = QuestionTally()
    for item in questions:
        if isinstance(item, str):
            tally.add(item)
        else:
            tally.add(*item)
    return tally.groups(limit=limit, threshold=threshold, max_distinct=max_distinct)


class VoteTally:
    """Votes as they stream in: per unit, votes and helpful ones, and the questions (joined from
    the asker's answer) it was unhelpful for."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.helpful: Counter[str] = Counter()
        self.unhelpful: dict[str, QuestionTally] = {}

    def add(self, vote: VoteLike) -> None:
        self.counts[vote.unit_id] += 1
        if vote.helpful:
            self.helpful[vote.unit_id] += 1
        elif vote.question:
            self.unhelpful.setdefault(vote.unit_id, QuestionTally()).add(vote.question)

    def least_helpful(
        self, *, min_votes: int = DEFAULT_MIN_VOTES, limit: int = DEFAULT_LIMIT
    ) -> list[UnitScore]:
        scores = [
            UnitScore(unit_id=u, votes=n, helpful=self.helpful[u])
            for u, n in self.counts.items()
            if n >= max(1, min_votes)
        ]
        scores.sort(key=lambda s: (s.ratio, -s.votes, s.unit_id))
        return [
            UnitScore(
                unit_id=s.unit_id,
                votes=s.votes,
                helpful=s.helpful,
                unhelpful_questions=tuple(
                    self.unhelpful.get(s.unit_id, QuestionTally()).groups(limit=3)
                ),
            )
            for s in scores[: max(0, limit)]
        ]


def least_helpful_units(
    votes: Iterable[VoteLike],
    *,
    min_votes: int = DEFAULT_MIN_VOTES,
    limit: int = DEFAULT_LIMIT,
) -> list[UnitScore]:
    """Units with at least ``min_votes`` votes, lowest helpful ratio first (then most votes)."""
    tally = VoteTally()
    for v in votes:
        tally.add(v)
    return tally.least_helpful(min_votes=min_votes, limit=limit)


def report_from(
    votes: VoteTally,
    questions: QuestionTally,
    *,
    now: datetime,
    min_votes: int = DEFAULT_MIN_VOTES,
    limit: int = DEFAULT_LIMIT,
) -> Report:
    """The report from tallies already filled (``walkwell report`` streams rows into them)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return Report(
        generated_at=now,
        votes=sum(votes.counts.values()),
        helpful=sum(votes.helpful.values()),
        units_voted=len(votes.counts),
        unanswered=questions.rows,
        unanswered_people=questions.people_count,
        min_votes=min_votes,
        top_unanswered=questions.groups(limit=limit),
        least_helpful=votes.least_helpful(min_votes=min_votes, limit=limit),
    )


def build_report(
    votes: Iterable[VoteLike],
    unanswered: Iterable[str | tuple[str, Hashable | None]],
    *,
    now: datetime,
    min_votes: int = DEFAULT_MIN_VOTES,
    limit: int = DEFAULT_LIMIT,
) -> Report:
    """Everything ``walkwell report`` prints. ``now`` (timezone-aware) is shown as its date.

    ``unanswered``: questions, or ``(question, asker)`` pairs (groups count distinct askers)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    vote_tally, question_tally = VoteTally(), QuestionTally()
    for v in votes:
        vote_tally.add(v)
    for item in unanswered:
        if isinstance(item, str):
            question_tally.add(item)
        else:
            question_tally.add(*item)
    return report_from(vote_tally, question_tally, now=now, min_votes=min_votes, limit=limit)


def _quote(text: str, width: int = 90) -> str:
    text = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return f'"{text}"'


def format_report(report: Report) -> str:
    """The report as plain text for the people who edit the content."""
    lines = [
        f"WalkWell content report ({report.generated_at:%Y-%m-%d %H:%M %Z})",
        f"Feedback: {report.votes} votes on {report.units_voted} units, "
        f"{report.helpful} helpful. Questions the guide could not answer: {report.unanswered}, "
        f"from {report.unanswered_people} people.",
        "",
        "Questions the guide could not answer, by how many people asked",
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
