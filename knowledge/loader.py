"""Load the guide's content folder into a validated :class:`~knowledge.models.Library`.

A content folder holds (see ``knowledge/EDITORIAL.md`` for how to edit it):

- ``units/<id>.md``: one file per answer unit (all of ``models.UNIT_IDS``), YAML front matter
  (``id``, ``title``, ``kind``, ``question`` for FAQ units, ``aliases``, ``related``) and a
  Markdown body.
- ``plan.yaml``: the pre-walk checklist, the cadence plan and the daily walk goal.
- ``seek_care.md``: the message sent instead of walking tips when someone describes red flags.
- ``messages.yaml``: other short texts the bot shows (``disclaimer``, ``not_in_guide``, ...).

Other files (such as the answering engine's ``matching.yaml``) are not read here.

Every problem is a :class:`ContentError` naming the file and the reason; loading stops at the first.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.models import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    UNIT_IDS,
    CadencePlan,
    ChecklistItem,
    Library,
    Unit,
    WalkGoal,
)

#: The content folder that ships with the package.
CONTENT_DIR = Path(__file__).resolve().parent / "content"

UNITS_DIR = "units"
PLAN_FILE = "plan.yaml"
SEEK_CARE_FILE = "seek_care.md"
MESSAGES_FILE = "messages.yaml"

#: Messages the bot relies on; ``messages.yaml`` must define each.
REQUIRED_MESSAGES: tuple[str, ...] = ("disclaimer", "not_in_guide", "not_in_guide_offtopic")
#: Discord's limit for a message's content (every message text must fit in one message).
MESSAGE_LIMIT = 2000
#: Our own cap for the seek-care message: short enough to read at a glance.
SEEK_CARE_LIMIT = 1500
#: Discord's limit for an autocomplete choice name (aliases are offered in /guide autocomplete).
ALIAS_LIMIT = 100
#: Buttons in one Discord action row: the most "related" links an answer can show.
RELATED_LIMIT = 5

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ContentError(Exception):
    """A content file is missing or invalid. ``str()`` is ``"PATH: reason"``."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# --- file schemas (what an editor may write; stricter than the models others read) -------------


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    title: str
    kind: Literal["section", "faq"]
    question: str | None = None
    aliases: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)


class _ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    key: str
    label: str = Field(min_length=1, max_length=80)
    detail: str = Field(min_length=1, max_length=300)
    unit: str


class _CadenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    start_low: int
    start_high: int
    goal: int
    weekly_step: int
    unit: str
    text: str = Field(min_length=1)


class _GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    daily_minutes: int
    start_minutes: int
    weekly_step_minutes: int
    unit: str
    text: str = Field(min_length=1)


class _PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    checklist: list[_ChecklistIn] = Field(min_length=1)
    cadence: _CadenceIn
    goal: _GoalIn


# --- helpers -----------------------------------------------------------------------------------


def _describe(err: ValidationError, model: type[BaseModel]) -> str:
    """The first pydantic error as one short line an editor can act on."""
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, first["loc"][:-1])
        return f"unknown key '{loc}' (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"missing key '{loc}'"
    where = f"{loc}: " if loc else ""
    return f"{where}{first['msg']}"


def _allowed_keys(model: type[BaseModel], parent: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``parent`` inside ``model`` (for "unknown key" messages)."""
    current: Any = model
    for part in parent:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        current = args[0] if args else annotation
    fields = getattr(current, "model_fields", {})
    return list(fields)


def normalise(text: str) -> str:
    """How aliases, ids and titles are compared: casefolded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def _read_text(path: Path) -> str:
    if not path.exists():
        raise ContentError(path, "missing")
    if not path.is_file():
        raise ContentError(path, "not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise ContentError(path, f"cannot read: {exc.strerror or exc}") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _load_yaml(path: Path, text: str, first_line: int = 1) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" (line {mark.line + first_line})" if mark is not None else ""
        raise ContentError(path, f"not valid YAML{where}: {problem}") from None


def _split_front_matter(path: Path, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise ContentError(path, "no front matter: the file must start with a '---' line")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    raise ContentError(path, "front matter is not closed: no second '---' line")


# --- units -------------------------------------------------------------------------------------


def _load_unit(path: Path, rel: str) -> Unit:
    text = _read_text(path)
    head, body = _split_front_matter(path, text)
    data = _load_yaml(path, head, first_line=2)
    if data is None:
        raise ContentError(path, "front matter is empty")
    if not isinstance(data, dict):
        raise ContentError(path, "front matter must be 'key: value' lines")
    try:
        fm = _FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise ContentError(path, _describe(exc, _FrontMatter)) from None

    if fm.id not in UNIT_IDS:
        raise ContentError(path, f"unknown id '{fm.id}' (known ids: {', '.join(UNIT_IDS)})")

    title = fm.title.strip()
    if not title:
        raise ContentError(path, "title is empty")
    if "\n" in title:
        raise ContentError(path, "title must be one line")
    if len(title) > EMBED_TITLE_LIMIT:
        raise ContentError(
            path,
            f"title is {len(title)} characters, over Discord's {EMBED_TITLE_LIMIT}-character "
            "embed title limit",
        )

    question = fm.question.strip() if fm.question is not None else None
    if fm.kind == "faq" and not question:
        raise ContentError(path, "an FAQ unit needs 'question' (the guide's question)")
    if fm.kind == "section" and question is not None:
        raise ContentError(path, "'question' is only for FAQ units (kind: faq)")

    body = body.strip()
    if not body:
        raise ContentError(path, "empty body: the unit has no text after the front matter")
    if normalise(body.split("\n", 1)[0].lstrip("#")) == normalise(title):
        raise ContentError(
            path, "the body repeats the title on its first line (it is shown already)"
        )
    if len(body) > EMBED_DESCRIPTION_LIMIT:
        raise ContentError(
            path,
            f"body is {len(body)} characters, over Discord's {EMBED_DESCRIPTION_LIMIT}-character "
            "embed description limit",
        )

    aliases: list[str] = []
    seen: set[str] = set()
    for alias in fm.aliases:
        alias = " ".join(alias.split())
        if not alias:
            raise ContentError(path, "empty alias")
        if len(alias) > ALIAS_LIMIT:
            raise ContentError(path, f"alias '{alias[:40]}...' is over {ALIAS_LIMIT} characters")
        if normalise(alias) in seen:
            raise ContentError(path, f"alias '{alias}' is listed twice")
        seen.add(normalise(alias))
        aliases.append(alias)

    related: list[str] = []
    for other in fm.related:
        if other == fm.id:
            raise ContentError(path, f"related: '{other}' is this unit itself")
        if other not in UNIT_IDS:
            raise ContentError(path, f"related: unknown unit id '{other}'")
        if other in related:
            raise ContentError(path, f"related: '{other}' is listed twice")
        related.append(other)
    if len(related) > RELATED_LIMIT:
        raise ContentError(path, f"related: at most {RELATED_LIMIT} units (one row of buttons)")

    return Unit(
        id=fm.id,
        title=title,
        kind=fm.kind,
        question=question,
        aliases=tuple(aliases),
        related=tuple(related),
        body=body,
        source=rel,
    )


def _load_units(root: Path) -> dict[str, Unit]:
    folder = root / UNITS_DIR
    if not folder.is_dir():
        raise ContentError(folder, "missing folder: it holds one <id>.md file per unit")
    loaded: dict[str, Unit] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        rel = f"{UNITS_DIR}/{path.name}"
        if path.is_dir() or path.suffix != ".md":
            raise ContentError(path, "not a unit file: unit files are named <id>.md")
        unit = _load_unit(path, rel)
        if unit.id in loaded:
            other = loaded[unit.id].source
            raise ContentError(path, f"duplicate id '{unit.id}' (also in {other})")
        if path.stem != unit.id:
            raise ContentError(
                path, f"id '{unit.id}' does not match the file name (expected {unit.id}.md)"
            )
        loaded[unit.id] = unit

    for unit_id in UNIT_IDS:
        if unit_id not in loaded:
            raise ContentError(
                folder / f"{unit_id}.md", f"missing: every unit id needs a file (no '{unit_id}')"
            )

    _check_names(root, loaded)
    return {unit_id: loaded[unit_id] for unit_id in UNIT_IDS}


def _check_names(root: Path, units: dict[str, Unit]) -> None:
    """Titles and aliases must name one unit only (case and spacing ignored)."""
    owners: dict[str, tuple[str, str]] = {}  # normalised name -> (unit id, what it is)
    for unit in units.values():
        for name, what in ((unit.id, "id"), (unit.title, "title")):
            key = normalise(name)
            if key in owners and owners[key][0] != unit.id:
                other_id, other_what = owners[key]
                raise ContentError(
                    root / unit.source,
                    f"{what} '{name}' is also the {other_what} of unit '{other_id}'",
                )
            owners.setdefault(key, (unit.id, what))
    for unit in units.values():
        for alias in unit.aliases:
            key = normalise(alias)
            if key in owners and owners[key][0] != unit.id:
                other_id, other_what = owners[key]
                raise ContentError(
                    root / unit.source,
                    f"alias '{alias}' is already the {other_what} of unit '{other_id}' "
                    f"({units[other_id].source})",
                )
            owners.setdefault(key, (unit.id, "alias"))


# --- plan, seek-care, messages -----------------------------------------------------------------


def _load_plan(root: Path) -> tuple[tuple[ChecklistItem, ...], CadencePlan, WalkGoal]:
    path = root / PLAN_FILE
    data = _load_yaml(path, _read_text(path))
    if not isinstance(data, dict):
        raise ContentError(path, "must hold 'checklist', 'cadence' and 'goal'")
    try:
        plan = _PlanIn.model_validate(data)
    except ValidationError as exc:
        raise ContentError(path, _describe(exc, _PlanIn)) from None

    keys: set[str] = set()
    items: list[ChecklistItem] = []
    for i, item in enumerate(plan.checklist):
        where = f"checklist.{i}"
        if not _KEY_RE.match(item.key):
            raise ContentError(
                path, f"{where}.key: '{item.key}' must be lower-case letters, digits and '_'"
            )
        if item.key in keys:
            raise ContentError(path, f"{where}.key: '{item.key}' is used twice")
        keys.add(item.key)
        if item.unit not in UNIT_IDS:
            raise ContentError(path, f"{where}.unit: unknown unit id '{item.unit}'")
        items.append(ChecklistItem(**item.model_dump()))

    c = plan.cadence
    if c.unit not in UNIT_IDS:
        raise ContentError(path, f"cadence.unit: unknown unit id '{c.unit}'")
    if not 0 < c.start_low <= c.start_high < c.goal:
        raise ContentError(path, "cadence: need 0 < start_low <= start_high < goal")
    if c.weekly_step <= 0:
        raise ContentError(path, "cadence.weekly_step: must be more than 0")

    g = plan.goal
    if g.unit not in UNIT_IDS:
        raise ContentError(path, f"goal.unit: unknown unit id '{g.unit}'")
    if not 0 < g.start_minutes <= g.daily_minutes:
        raise ContentError(path, "goal: need 0 < start_minutes <= daily_minutes")
    if g.weekly_step_minutes <= 0:
        raise ContentError(path, "goal.weekly_step_minutes: must be more than 0")

    return tuple(items), CadencePlan(**c.model_dump()), WalkGoal(**g.model_dump())


def _load_seek_care(root: Path) -> str:
    path = root / SEEK_CARE_FILE
    text = _read_text(path).strip()
    if not text:
        raise ContentError(path, "empty: the seek-care message is required")
    if len(text) > SEEK_CARE_LIMIT:
        raise ContentError(
            path, f"{len(text)} characters; keep the seek-care message under {SEEK_CARE_LIMIT}"
        )
    return text


def _load_messages(root: Path) -> dict[str, str]:
    path = root / MESSAGES_FILE
    data = _load_yaml(path, _read_text(path))
    if not isinstance(data, dict):
        raise ContentError(path, "must be 'key: text' lines")
    messages: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ContentError(path, f"key '{key}' must be lower-case letters, digits and '_'")
        if not isinstance(value, str):
            raise ContentError(path, f"{key}: must be text")
        value = value.strip()
        if not value:
            raise ContentError(path, f"{key}: empty message")
        if len(value) > MESSAGE_LIMIT:
            raise ContentError(
                path, f"{key}: {len(value)} characters, over Discord's {MESSAGE_LIMIT} limit"
            )
        messages[key] = value
    for key in REQUIRED_MESSAGES:
        if key not in messages:
            raise ContentError(path, f"missing message '{key}'")
    return messages


# --- entry points ------------------------------------------------------------------------------


def load_library(path: Path | str | None = None) -> Library:
    """Load and validate a content folder (default: the built-in one).

    Raises :class:`ContentError` naming the file at the first problem.
    """
    root = CONTENT_DIR if path is None else Path(path)
    if not root.exists():
        raise ContentError(root, "no such folder")
    if not root.is_dir():
        raise ContentError(root, "not a folder")
    units = _load_units(root)
    checklist, cadence, goal = _load_plan(root)
    seek_care = _load_seek_care(root)
    messages = _load_messages(root)
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


@functools.cache
def default_messages() -> dict[str, str]:
    """The built-in ``messages.yaml`` alone (no units): every short text the bot says around the
    guide. Loaded once per process; cheaper than :func:`default_library`."""
    return _load_messages(CONTENT_DIR)
