"""The content folder: which files it holds, loading each one, and ``walkwell check``.

A content folder holds eight things (see ``knowledge/EDITORIAL.md`` for how to edit them):

- ``units/<id>.md``, ``plan.yaml``, ``seek_care.md``: the guide (read by :mod:`knowledge.guide`).
- ``messages.yaml``, ``progress.yaml``: what the bot and the plan say, by key (checked against
  :mod:`knowledge.textkeys`).
- ``matching.yaml``: how questions are matched to units (read by :mod:`knowledge.engine`).
- ``redflags.yaml``: the red-flag lexicons and rules (read by :mod:`knowledge.redflags`).
- ``offtopic.yaml``: off-topic messages that use the guide's words (read by
  :mod:`knowledge.engine`).

:func:`load_library` reads what a :class:`~knowledge.models.Library` holds (the guide and
``messages.yaml``); :func:`check_folder` reads all eight. Every problem is a
:class:`~knowledge.contentfile.ContentError` naming the file and the reason; loading stops at the
first. Never imports discord.py.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.contentfile import ContentError, parse_model, read_yaml
from knowledge.guide import load_plan, load_seek_care, load_units
from knowledge.models import UNIT_IDS, Library
from knowledge.textkeys import (
    MESSAGE_KEYS,
    MESSAGE_LIMIT,
    PROGRESS_KEYS,
    PROGRESS_LIMIT,
    REQUIRED_MESSAGES,
    parse_texts,
)

#: The content folder that ships with the package.
CONTENT_DIR = Path(__file__).resolve().parent / "content"

UNITS_DIR = "units"
PLAN_FILE = "plan.yaml"
SEEK_CARE_FILE = "seek_care.md"
MESSAGES_FILE = "messages.yaml"
PROGRESS_FILE = "progress.yaml"
MATCHING_FILE = "matching.yaml"
REDFLAGS_FILE = "redflags.yaml"
OFFTOPIC_FILE = "offtopic.yaml"
#: The off-topic group whose messages get the pharmacist/clinician pointer.
TREATMENT_GROUP = "treatment"


def _root(path: Path | str | None) -> Path:
    root = CONTENT_DIR if path is None else Path(path)
    if not root.exists():
        raise ContentError(root, "no such folder")
    if not root.is_dir():
        raise ContentError(root, "not a folder")
    return root


# --- the guide and the texts -------------------------------------------------------------------


def load_library(path: Path | str | None = None) -> Library:
    """Load and validate the guide and ``messages.yaml`` of a content folder (default: the
    built-in one). Raises :class:`ContentError` naming the file at the first problem."""
    root = _root(path)
    units = load_units(root / UNITS_DIR)
    checklist, cadence, goal = load_plan(root / PLAN_FILE)
    seek_care = load_seek_care(root / SEEK_CARE_FILE)
    messages = load_messages(root)
    return Library(
        units=units,
        checklist=checklist,
        cadence=cadence,
        goal=goal,
        seek_care=seek_care,
        disclaimer=messages["disclaimer"],
        messages=messages,
    )


@functools.cache
def default_library() -> Library:
    """The built-in content, loaded once per process."""
    return load_library()


def load_messages(path: Path | str | None = None) -> dict[str, str]:
    """A content folder's ``messages.yaml``, by key."""
    file = _root(path) / MESSAGES_FILE
    return parse_texts(
        file, read_yaml(file), MESSAGE_KEYS, required=REQUIRED_MESSAGES, limit=MESSAGE_LIMIT
    )


def load_progress(path: Path | str | None = None) -> dict[str, str]:
    """A content folder's ``progress.yaml``, by dotted key (every key is required)."""
    file = _root(path) / PROGRESS_FILE
    return parse_texts(file, read_yaml(file), PROGRESS_KEYS, required=None, limit=PROGRESS_LIMIT)


@functools.cache
def builtin_texts() -> dict[str, str]:
    """Every built-in text (``messages.yaml`` and ``progress.yaml``), loaded once per process."""
    return {**load_messages(), **load_progress()}


# --- matching.yaml -----------------------------------------------------------------------------


#: A word or phrase. YAML reads some bare words as other scalars (``on``, ``no``, ``1``); the readers
#: take ``str()`` of them.
Word = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _NotCoveredIn(_Strict):
    phrases: list[Word] = Field(default_factory=list)
    allow: list[Word] = Field(default_factory=list)
    treatment: list[Word] = Field(default_factory=list)
    anywhere: list[Word] = Field(default_factory=list)
    elsewhere: list[Word] = Field(default_factory=list)


class _MatchUnitIn(_Strict):
    examples: list[Word] = Field(default_factory=list)
    phrases: dict[Word, float] = Field(default_factory=dict)


class _MatchingIn(_Strict):
    rewrites: dict[Word, Word | None] = Field(default_factory=dict)
    stopwords: list[Word] = Field(default_factory=list)
    topic_words: list[Word] = Field(default_factory=list)
    walking_words: list[Word] = Field(default_factory=list)
    not_covered: _NotCoveredIn = Field(default_factory=_NotCoveredIn)
    units: dict[str, _MatchUnitIn] = Field(default_factory=dict)


def load_matching(path: Path | str | None = None) -> dict[str, Any]:
    """A content folder's ``matching.yaml``, checked, as the engine reads it."""
    file = _root(path) / MATCHING_FILE
    data = read_yaml(file)
    matching = parse_model(file, data, _MatchingIn, "must hold 'rewrites', 'units', ...")
    for unit_id in matching.units:
        if unit_id not in UNIT_IDS:
            raise ContentError(file, f"units: unknown unit id '{unit_id}'")
    return dict(data)


# --- redflags.yaml -----------------------------------------------------------------------------

Care = Literal["emergency", "urgent", "crisis"]


class _ConceptIn(_Strict):
    phrases: list[Word] = Field(default_factory=list)
    exclude: list[Word] = Field(default_factory=list)


class _RuleIn(_Strict):
    id: str
    care: Care
    all: list[str] = Field(min_length=1)
    window: int | None = Field(default=None, gt=0)


class _ModelGroupIn(_Strict):
    id: str
    care: Care
    cue: list[str] = Field(min_length=1)
    also: list[str] = Field(default_factory=list)
    threshold: float = Field(gt=0, le=1)
    exemplars: list[Word] = Field(min_length=1)


class _NearMissIn(_Strict):
    word: Word
    means: Word
    near: str
    window: int = Field(gt=0)


class _RedFlagsIn(_Strict):
    concepts: dict[str, _ConceptIn]
    rules: list[_RuleIn] = Field(min_length=1)
    model_check: list[_ModelGroupIn] = Field(default_factory=list)
    near_misses: list[_NearMissIn] = Field(default_factory=list)


def load_redflags(path: Path | str | None = None) -> dict[str, Any]:
    """A content folder's ``redflags.yaml``, checked, as the red-flag checker reads it."""
    file = _root(path) / REDFLAGS_FILE
    data = read_yaml(file)
    flags = parse_model(file, data, _RedFlagsIn, "must hold 'concepts', 'rules', 'model_check'")
    uses = [(f"rules.{i}.all", r.all) for i, r in enumerate(flags.rules)]
    uses += [(f"model_check.{i}", [*g.cue, *g.also]) for i, g in enumerate(flags.model_check)]
    uses += [(f"near_misses.{i}.near", [n.near]) for i, n in enumerate(flags.near_misses)]
    for where, names in uses:
        for name in names:
            if name not in flags.concepts:
                raise ContentError(file, f"{where}: unknown concept '{name}'")
    return dict(data)


# --- offtopic.yaml -----------------------------------------------------------------------------


class _OfftopicIn(_Strict):
    groups: dict[str, list[str]] = Field(min_length=1)


def load_offtopic(path: Path | str | None = None) -> dict[str, list[str]]:
    """A content folder's ``offtopic.yaml``: off-topic example messages by group, checked.

    Every group holds at least one message; messages are non-empty, at most 300 characters and
    listed once across the file.
    """
    file = _root(path) / OFFTOPIC_FILE
    data = read_yaml(file)
    offtopic = parse_model(file, data, _OfftopicIn, "must hold 'groups': {NAME: [MESSAGE, ...]}")
    seen: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for group, messages in offtopic.groups.items():
        if not messages:
            raise ContentError(file, f"groups.{group}: no messages")
        for i, text in enumerate(messages):
            text = " ".join(text.split())
            where = f"groups.{group}.{i}"
            if not text:
                raise ContentError(file, f"{where}: empty message")
            if len(text) > 300:
                raise ContentError(file, f"{where}: longer than 300 characters")
            key = text.casefold()
            if key in seen:
                raise ContentError(file, f"{where}: already listed in groups.{seen[key]}")
            seen[key] = group
            out.setdefault(group, []).append(text)
    return out


# --- walkwell check ----------------------------------------------------------------------------


def check_folder(path: Path | str | None = None) -> str:
    """Load every file of a content folder; a one-line summary, or :class:`ContentError`."""
    library = load_library(path)
    progress = load_progress(path)
    matching = load_matching(path)
    redflags = load_redflags(path)
    offtopic = load_offtopic(path)
    units = library.units.values()
    sections = sum(1 for u in units if u.kind == "section")
    faqs = sum(1 for u in units if u.kind == "faq")
    aliases = sum(len(u.aliases) for u in units)
    return (
        f"ok: {len(library.units)} units ({sections} sections, {faqs} FAQ), "
        f"{aliases} aliases, {len(library.checklist)} checklist items, "
        f"{len(library.messages)} messages, {len(progress)} progress texts, "
        f"matching data for {len(matching.get('units') or {})} units, "
        f"{len(redflags['rules'])} red-flag rules, "
        f"{sum(map(len, offtopic.values()))} off-topic examples"
    )


def check_main(args: argparse.Namespace) -> int:
    """``walkwell check [DIR]``: ``ok: ...`` and 0, or ``error: FILE: REASON`` on stderr and 1."""
    try:
        summary = check_folder(getattr(args, "dir", None))
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0
