"""Every sentence the bot says that is not a unit of the guide, looked up by key.

The sentences are content, not code: ``knowledge/content/messages.yaml``, edited by the same
people who edit the guide and validated by ``walkwell check``. A content folder of one's own
(``Library.messages``) overrides any of them; a key it lacks falls back to the built-in file, so
the bot stays whole. Keys are snake_case, as that file requires. Placeholders use ``str.format``
names; an unknown placeholder is left as written instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge.models import Library


def shipped() -> Mapping[str, str]:
    """The built-in texts (``knowledge/content/messages.yaml``)."""
    from knowledge.loader import default_messages

    return default_messages()


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    """The bot's sentences: the content's ``messages`` over the built-in ones."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._table = {**shipped(), **(overrides or {})}

    @classmethod
    def from_library(cls, library: Library) -> Texts:
        overrides = getattr(library, "messages", None)
        return cls(overrides if isinstance(overrides, Mapping) else None)

    def __call__(self, key: str, **values: Any) -> str:
        template = self._table[key]
        try:
            return template.format_map(_KeepMissing(values))
        except (ValueError, IndexError):  # a stray brace in edited content: show it as written
            return template
