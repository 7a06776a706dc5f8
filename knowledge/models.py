"""The guide as validated data: the pydantic models every other part reads.

The content itself lives in files under ``knowledge/content/`` (see ``knowledge.content``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UNIT_IDS: tuple[str, ...] = (
    "intro",
    "benefits",
    "posture",
    "footwear",
    "warmup",
    "technique",
    "step_length",
    "cadence",
    "arm_swing",
    "incline",
    "summary",
    "faq_why",
    "faq_how_often",
    "faq_technique",
    "faq_aggravate",
    "faq_other_exercises",
)

#: Discord's limit for an embed description.
EMBED_DESCRIPTION_LIMIT = 4096
#: Discord's limit for an embed title.
EMBED_TITLE_LIMIT = 256


class Unit(BaseModel):
    """One answer unit: a section of the guide or one FAQ question with its answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = Field(min_length=1, max_length=EMBED_TITLE_LIMIT)
    kind: Literal["section", "faq"]
    #: For FAQ units, the guide's question as written; None for sections.
    question: str | None = None
    #: Other ways people name this unit (used by /guide autocomplete and the answering engine).
    aliases: tuple[str, ...] = ()
    #: Unit ids worth opening next (buttons under an answer).
    related: tuple[str, ...] = ()
    #: Markdown text, the guide's words (with editorial fixes recorded in EDITORIAL.md).
    body: str = Field(min_length=1, max_length=EMBED_DESCRIPTION_LIMIT)
    #: The file the unit came from (relative to the content folder), for error messages.
    source: str = ""


class ChecklistItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str = Field(min_length=1, max_length=80)
    detail: str = Field(min_length=1, max_length=300)
    unit: str  # the unit id the item comes from


class CadencePlan(BaseModel):
    """The guide's cadence targets: start at 80-90 steps/min, build towards 120 or more."""

    model_config = ConfigDict(frozen=True)

    start_low: int = 80
    start_high: int = 90
    goal: int = 120
    #: steps per minute added per week by the progression plan
    weekly_step: int = 5
    unit: str = "cadence"
    text: str = ""  # the guide's sentence(s) the numbers come from


class WalkGoal(BaseModel):
    """The "30 minutes a day, built up slowly" goal."""

    model_config = ConfigDict(frozen=True)

    daily_minutes: int = 30
    start_minutes: int = 10
    weekly_step_minutes: int = 5
    unit: str = "faq_how_often"
    text: str = ""


class Library(BaseModel):
    """Everything loaded from one content folder."""

    model_config = ConfigDict(frozen=True)

    units: dict[str, Unit]
    checklist: tuple[ChecklistItem, ...]
    cadence: CadencePlan
    goal: WalkGoal
    #: What the bot says instead of walking tips when a message describes red-flag symptoms.
    seek_care: str
    #: The short "not medical advice" note under every answer.
    disclaimer: str
    #: The folder's ``messages.yaml`` by key (always ``disclaimer``, ``not_in_guide`` and
    #: ``not_in_guide_offtopic``); :class:`knowledge.texts.Texts` serves them over the built-in ones.
    messages: dict[str, str] = Field(default_factory=dict)
