"""The walk log's model and its validation (pure: no database, no clock, no Discord).

- :class:`WalkEntry`: one logged walk. ``minutes`` 1-300, ``cadence`` (steps per minute) 30-250 or
  None, ``pain`` 0-10 or None, ``note`` (cleaned, at most 500 characters) or None, ``local_date``
  (the user's local day the walk counts for) and ``logged_at`` (a UTC, timezone-aware instant).
- :func:`validate_walk` turns what a person typed (slash-command integers, or the text of the
  reminder's Done modal) into a :class:`WalkEntry`, or raises :class:`WalkInputError` (a
  ``ValueError``) carrying a short ``user_message`` the bot shows privately. Nothing is stored then.
- :func:`local_day`: the user's local date of an instant, from their IANA zone.
- :func:`clean_note`: what a note looks like when stored.

Limits, and why:

- ``minutes`` 1..300: one walk of up to five hours. The plan builds towards 30 minutes a day, so
  300 is ten times that and still fits a long hike, while typos and unit mix-ups (10,000; seconds
  or steps typed as minutes) are refused instead of wrecking the chart and the weekly nudge.
- ``cadence`` 30..250 steps per minute: the guide's range is 80-90 building to 120 or more; 30 is a
  very slow shuffle and 250 is beyond sprinting, so anything outside is a typo (e.g. steps per walk).
- ``pain`` 0..10: the usual numeric rating scale (0 none, 10 worst imaginable).
- ``note`` at most 500 characters after cleaning: a line or two about the walk; longer text is
  refused (not cut) so nobody loses words without noticing. Cleaning: Unicode NFC, line separators
  become ``\\n``, other control characters and invisible format characters (zero-width spaces and
  joiners, BOM, bidi overrides) are removed, spaces are collapsed, three or more line breaks become
  two, and the ends are stripped. An empty note is stored as None.
- A walk may be logged for today or up to :data:`MAX_BACKDATE_DAYS` days back (the Done button of a
  late-evening reminder pressed after midnight logs yesterday's walk); never for a future day.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schedules.errors import InputError
from schedules.reminders.timecalc import get_zone

__all__ = [
    "MAX_BACKDATE_DAYS",
    "MAX_CADENCE",
    "MAX_MINUTES",
    "MAX_NOTE",
    "MAX_PAIN",
    "MIN_CADENCE",
    "MIN_MINUTES",
    "MIN_PAIN",
    "WalkEntry",
    "WalkInputError",
    "clean_note",
    "local_day",
    "parse_count",
    "validate_walk",
]

MIN_MINUTES = 1
MAX_MINUTES = 300
MIN_CADENCE = 30
MAX_CADENCE = 250
MIN_PAIN = 0
MAX_PAIN = 10
MAX_NOTE = 500
MAX_BACKDATE_DAYS = 7
#: Longest number text read from a modal field (longer is refused before parsing).
_MAX_NUMBER_TEXT = 24

_LINE_SEPARATORS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_SPACES_RE = re.compile(r"[^\S\n]+")  # whitespace other than newlines
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_NUMBER_RE = re.compile(
    r"^(?P<num>[+-]?\d+)\s*(?P<unit>minutes?|mins?|m|spm|steps?(?:\s*(?:/|per)\s*min(?:ute)?)?)?$"
)


class WalkInputError(InputError):
    """A walk that cannot be logged. ``field`` names the input at fault (``minutes``...)."""

    def __init__(self, user_message: str, field: str) -> None:
        super().__init__(user_message)
        self.field = field


def clean_note(text: str | None) -> str | None:
    """The note as stored: cleaned (see the module docstring); None when nothing is left.

    Length is not checked here (:func:`validate_walk` refuses a note over :data:`MAX_NOTE`).
    """
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_SEPARATORS))
    kept = []
    for ch in text:
        if ch == "\n" or ch == "\t":
            kept.append(" " if ch == "\t" else ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co"):
            continue  # control, format (zero-width, bidi, BOM), surrogates, private use
        kept.append(ch)
    text = _SPACES_RE.sub(" ", "".join(kept))
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES_RE.sub("\n\n", text).strip()
    return text or None


def _note(value: str | None) -> str | None:
    cleaned = clean_note(value)
    if cleaned is not None and len(cleaned) > MAX_NOTE:
        raise ValueError(f"note longer than {MAX_NOTE} characters")
    return cleaned


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class WalkEntry(BaseModel):
    """One logged walk, validated. Build it with :func:`validate_walk` for user input."""

    model_config = ConfigDict(frozen=True, strict=True)

    minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    cadence: int | None = Field(default=None, ge=MIN_CADENCE, le=MAX_CADENCE)
    pain: int | None = Field(default=None, ge=MIN_PAIN, le=MAX_PAIN)
    note: Annotated[str | None, AfterValidator(_note)] = None
    local_date: date
    logged_at: Annotated[AwareDatetime, AfterValidator(_utc)]


def local_day(now_utc: datetime, zone: str | ZoneInfo) -> date:
    """The local calendar date of the instant ``now_utc`` in the IANA ``zone``.

    ``now_utc`` must be timezone-aware (any offset; it is converted). Raises ``ValueError`` for a
    naive instant and ``ZoneInfoNotFoundError`` (a ``KeyError``) for an unknown zone name.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    tz = get_zone(zone) if isinstance(zone, str) else zone
    return now_utc.astimezone(tz).date()


def parse_count(value: Any, field: str, *, low: int, high: int, required: bool) -> int | None:
    """An integer from a slash-command option or modal text, within ``low..high``.

    Accepts ints and strings of digits (surrounding spaces and a unit like ``min`` or ``spm`` are
    allowed: ``"30"``, ``" 30 min"``, ``"110 spm"``). ``None`` or blank text is None when not
    ``required``. Raises :class:`WalkInputError` otherwise.
    """
    label = _LABELS[field]
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise WalkInputError(f"Please give {label['what']}, e.g. {label['example']}.", field)
        return None
    if isinstance(value, bool):
        raise WalkInputError(_format_hint(field), field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        match = _NUMBER_RE.match(text) if len(text) <= _MAX_NUMBER_TEXT else None
        if match is None:
            raise WalkInputError(_format_hint(field), field)
        value = int(match.group("num"))
    if not isinstance(value, int):
        raise WalkInputError(_format_hint(field), field)
    if not low <= value <= high:
        raise WalkInputError(_range_hint(field), field)
    return value


_LABELS: dict[str, dict[str, str]] = {
    "minutes": {"what": "the minutes you walked", "example": "20"},
    "cadence": {"what": "your cadence in steps per minute", "example": "90"},
    "pain": {"what": "your pain from 0 to 10", "example": "3"},
}


def _format_hint(field: str) -> str:
    return {
        "minutes": "Minutes must be a whole number, e.g. 20.",
        "cadence": "Cadence must be a whole number of steps per minute, e.g. 90.",
        "pain": "Pain must be a whole number from 0 (none) to 10 (worst).",
    }[field]


def _range_hint(field: str) -> str:
    return {
        "minutes": f"Minutes must be from {MIN_MINUTES} to {MAX_MINUTES} for one walk.",
        "cadence": (
            f"Cadence is steps per minute, from {MIN_CADENCE} to {MAX_CADENCE} "
            "(the guide starts at 80-90)."
        ),
        "pain": f"Pain must be from {MIN_PAIN} (none) to {MAX_PAIN} (worst).",
    }[field]


def validate_walk(
    minutes: Any,
    cadence: Any = None,
    pain: Any = None,
    note: str | None = None,
    *,
    now: datetime,
    zone: str | ZoneInfo,
    day: date | None = None,
) -> WalkEntry:
    """Check a walk a person entered and return it as a :class:`WalkEntry`.

    ``now`` is the (timezone-aware) instant of logging, ``zone`` the user's IANA zone; the walk
    counts for their local day, or for ``day`` when given (today or up to
    :data:`MAX_BACKDATE_DAYS` days back). Raises :class:`WalkInputError` with a short
    ``user_message`` for bad input (checked in order: minutes, cadence, pain, note, day).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        today = local_day(now, zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WalkInputError(
            "Your timezone is not set or unknown. Set it with /reminders start.", "zone"
        ) from exc
    mins = parse_count(minutes, "minutes", low=MIN_MINUTES, high=MAX_MINUTES, required=True)
    cad = parse_count(cadence, "cadence", low=MIN_CADENCE, high=MAX_CADENCE, required=False)
    pn = parse_count(pain, "pain", low=MIN_PAIN, high=MAX_PAIN, required=False)
    if note is not None and not isinstance(note, str):
        raise WalkInputError("The note must be text.", "note")
    cleaned = clean_note(note)
    if cleaned is not None and len(cleaned) > MAX_NOTE:
        raise WalkInputError(
            f"Your note is {len(cleaned):,} characters long; keep it to {MAX_NOTE}.", "note"
        )
    walk_day = today if day is None else day
    if walk_day > today or walk_day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise WalkInputError(
            f"You can log a walk for today or up to {MAX_BACKDATE_DAYS} days back.", "day"
        )
    assert mins is not None  # required=True
    try:
        return WalkEntry(
            minutes=mins,
            cadence=cad,
            pain=pn,
            note=cleaned,
            local_date=walk_day,
            logged_at=now,
        )
    except ValidationError as exc:  # pragma: no cover - every field is checked above
        raise WalkInputError(
            "That walk could not be logged. Please check the values.", "walk"
        ) from (exc)
