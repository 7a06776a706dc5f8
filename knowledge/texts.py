"""Every sentence WalkWell says that is not a unit of the guide, looked up by key.

The sentences are content, not code: ``messages.yaml`` (the bot around the guide: flat keys such as
``checklist_expired``) and ``progress.yaml`` (/progress, its chart and the weekly nudge: dotted keys
such as ``nudge.reasons.pain_high``). :mod:`knowledge.textkeys` lists every key and the
``{placeholders}`` it may use, and both files are checked against it when they load.

A content folder of one's own (``Library.messages``) overrides any message; a key it lacks falls
back to the built-in text, so the bot stays whole. Placeholders use ``str.format`` names; an
unknown placeholder is left as written instead of failing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from knowledge.content import builtin_texts
from knowledge.models import Library


def shipped() -> Mapping[str, str]:
    """The built-in texts of both files."""
    return builtin_texts()


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    """The texts: ``overrides`` over the built-in ones. ``texts("progress.streak_many", days=3)``."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._table = {**shipped(), **(overrides or {})}

    @classmethod
    def from_library(cls, library: Library) -> Texts:
        """The texts with a content folder's messages over the built-in ones."""
        overrides = getattr(library, "messages", None)
        return cls(overrides if isinstance(overrides, Mapping) else None)

    def __call__(self, key: str, **values: Any) -> str:
        """The text for ``key`` with its placeholders filled (``KeyError`` for an unknown key)."""
        template = self._table[key]
        try:
            return template.format_map(_KeepMissing(values))
        except (ValueError, IndexError):  # a stray brace in edited content: show it as written
            return template

    get = __call__

    def __contains__(self, key: object) -> bool:
        return key in self._table

    def keys(self) -> list[str]:
        return list(self._table)


@functools.cache
def default_texts() -> Texts:
    """The built-in texts, loaded once per process."""
    return Texts()
