"""The words of /progress and of the log-following weekly nudge, from ``progress.yaml``.

The texts are content (``knowledge/content/progress.yaml``); code refers to them by dotted key
(``"nudge.reasons.pain_high"``). :data:`TEXT_KEYS` lists every key and the ``{placeholders}`` each
may use: loading fails with :class:`ProgressTextsError` (naming the file and key) when a key is
missing, unknown, empty, longer than :data:`MAX_TEXT` or uses a placeholder it may not.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import CONTENT_DIR

__all__ = [
    "MAX_TEXT",
    "PROGRESS_FILE",
    "TEXT_KEYS",
    "ProgressTexts",
    "ProgressTextsError",
    "default_texts",
    "load_texts",
]

PROGRESS_FILE = CONTENT_DIR / "progress.yaml"
MAX_TEXT = 1000

_NONE: frozenset[str] = frozenset()


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


#: Every text key, and the placeholders it may use.
TEXT_KEYS: dict[str, frozenset[str]] = {
    "progress.chart_title": _p("weeks"),
    "progress.chart_title_one": _NONE,
    "progress.no_walks": _NONE,
    "progress.streak_none": _NONE,
    "progress.streak_one": _NONE,
    "progress.streak_many": _p("days"),
    "progress.week": _p("start", "end", "minutes", "walks", "days"),
    "progress.week_empty": _p("start", "end"),
    "progress.week_cadence": _p("cadence"),
    "progress.week_pain": _p("pain"),
    "progress.targets": _p("cadence", "minutes"),
    "progress.guide": _NONE,
    "chart.minutes_axis": _NONE,
    "chart.minutes_bars": _NONE,
    "chart.minutes_target": _NONE,
    "chart.cadence_axis": _NONE,
    "chart.cadence_line": _NONE,
    "chart.cadence_target": _NONE,
    "chart.pain_axis": _NONE,
    "chart.pain_marks": _NONE,
    "chart.no_walks": _NONE,
    "nudge.step_up": _NONE,
    "nudge.step_up_some": _NONE,
    "nudge.hold": _NONE,
    "nudge.keep": _NONE,
    "nudge.targets": _p("cadence", "minutes"),
    "nudge.always": _NONE,
    "nudge.reasons.no_log": _NONE,
    "nudge.reasons.pain_high": _p("pain"),
    "nudge.reasons.pain_rose": _NONE,
    "nudge.reasons.see_professional": _NONE,
    "nudge.reasons.minutes_met": _p("minutes", "days"),
    "nudge.reasons.minutes_below": _p("minutes", "days"),
    "nudge.reasons.cadence_met": _p("cadence"),
    "nudge.reasons.cadence_below": _p("cadence"),
    "nudge.reasons.cadence_not_logged": _NONE,
    "nudge.reasons.cadence_goal": _p("cadence"),
    "nudge.reasons.minutes_goal": _p("minutes"),
    "nudge.reasons.start_slowly": _NONE,
}


class ProgressTextsError(ValueError):
    """``progress.yaml`` is broken; the message names the file and the key."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{name}.", out)
        else:
            out[name] = value


def _placeholders(text: str) -> set[str]:
    names: set[str] = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return names


class ProgressTexts:
    """The loaded texts. ``texts.get("progress.streak_many", days=3)`` fills placeholders."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = dict(texts)

    def get(self, key: str, **values: object) -> str:
        """The text for ``key`` with its placeholders filled (``KeyError`` for an unknown key)."""
        text = self._texts[key]
        return text.format(**values) if values or "{" in text else text

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def keys(self) -> list[str]:
        return list(self._texts)


def load_texts(path: Path = PROGRESS_FILE) -> ProgressTexts:
    """Read and check ``progress.yaml``; :class:`ProgressTextsError` when it is broken."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgressTextsError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ProgressTextsError(path, f"not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise ProgressTextsError(path, "must be a mapping of sections to texts")
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    unknown = sorted(set(flat) - set(TEXT_KEYS))
    if unknown:
        raise ProgressTextsError(path, f"unknown key '{unknown[0]}'")
    missing = [k for k in TEXT_KEYS if k not in flat]
    if missing:
        raise ProgressTextsError(path, f"missing key '{missing[0]}'")
    texts: dict[str, str] = {}
    for key, allowed in TEXT_KEYS.items():
        value = flat[key]
        if not isinstance(value, str) or not value.strip():
            raise ProgressTextsError(path, f"{key}: must be non-empty text")
        text = value.strip()
        if len(text) > MAX_TEXT:
            raise ProgressTextsError(path, f"{key}: longer than {MAX_TEXT} characters")
        try:
            used = _placeholders(text)
        except ValueError as exc:
            raise ProgressTextsError(path, f"{key}: bad placeholder ({exc})") from None
        extra = sorted(used - allowed)
        if extra:
            allowed_text = ", ".join(sorted(allowed)) or "none"
            raise ProgressTextsError(
                path, f"{key}: unknown placeholder {{{extra[0]}}} (allowed: {allowed_text})"
            )
        texts[key] = text
    return ProgressTexts(texts)


@lru_cache(maxsize=1)
def default_texts() -> ProgressTexts:
    """The built-in texts (loaded once)."""
    return load_texts()
