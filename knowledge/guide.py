"""The guide's own files: the answer units, the plan and the seek-care message.

- ``units/<id>.md``: one file per answer unit (all of ``models.UNIT_IDS``), YAML front matter
  (``id``, ``title``, ``kind``, ``question`` for FAQ units, ``aliases``, ``related``) and a
  Markdown body.
- ``plan.yaml``: the pre-walk checklist, the cadence plan and the daily walk goal.
- ``seek_care.md``: the message sent instead of walking tips when someone describes red flags.

Each reader takes the path :mod:`knowledge.content` gives it and raises
:class:`~knowledge.contentfile.ContentError` at the first problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.contentfile import (
    KEY_RE,
    ContentError,
    load_yaml,
    normalise,
    parse_model,
    read_text,
    read_yaml,
)
from knowledge.models import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    UNIT_IDS,
    CadencePlan,
    ChecklistItem,
    Unit,
    WalkGoal,
)

#: Our own cap for the seek-care message: short enough to read at a glance.
SEEK_CARE_LIMIT = 1500
#: Discord's limit for an autocomplete choice name (aliases are offered in /guide autocomplete).
ALIAS_LIMIT = 100
#: Buttons in one Discord action row: the most "related" links an answer can show.
RELATED_LIMIT = 5


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
    text = read_text(path)
    head, body = _split_front_matter(path, text)
    data = load_yaml(path, head, first_line=2)
    if data is None:
        raise ContentError(path, "front matter is empty")
    fm = parse_model(path, data, _FrontMatter, "front matter must be 'key: value' lines")

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


def load_units(folder: Path) -> dict[str, Unit]:
    """Every ``<id>.md`` in ``folder``, in :data:`~knowledge.models.UNIT_IDS` order."""
    if not folder.is_dir():
        raise ContentError(folder, "missing folder: it holds one <id>.md file per unit")
    loaded: dict[str, Unit] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        rel = f"{folder.name}/{path.name}"
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

    _check_names(folder.parent, loaded)
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


def load_plan(path: Path) -> tuple[tuple[ChecklistItem, ...], CadencePlan, WalkGoal]:
    """``plan.yaml``: the checklist, the cadence plan and the daily walk goal."""
    plan = parse_model(
        path, read_yaml(path), _PlanIn, "must hold 'checklist', 'cadence' and 'goal'"
    )

    keys: set[str] = set()
    items: list[ChecklistItem] = []
    for i, item in enumerate(plan.checklist):
        where = f"checklist.{i}"
        if not KEY_RE.match(item.key):
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


def load_seek_care(path: Path) -> str:
    """``seek_care.md``: the message sent instead of walking tips."""
    text = read_text(path).strip()
    if not text:
        raise ContentError(path, "empty: the seek-care message is required")
    if len(text) > SEEK_CARE_LIMIT:
        raise ContentError(
            path, f"{len(text)} characters; keep the seek-care message under {SEEK_CARE_LIMIT}"
        )
    return text
