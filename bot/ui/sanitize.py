"""Make what people type safe to match and safe to show again.

Two jobs:
- :func:`question_text`: the text the answering engine sees. Mentions, zero-width and other
  invisible format characters are dropped, whitespace collapsed, and the length capped.
- :func:`echo`: a short quote of the user's words that can be shown in a message. Markdown and
  mentions are escaped, invisible characters removed, everything on one line. Allowed mentions on
  the client already stop any ping; this also stops ``@everyone`` from *looking* like one.
"""

from __future__ import annotations

import re
import unicodedata

from discord.utils import escape_markdown, escape_mentions

from bot.ui import textsplit

#: The engine never needs more than this; a longer message is cut (between words) before matching.
MAX_QUESTION_CHARS = 2000

_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """``text`` without format characters (zero-width spaces and joiners, bidi overrides, BOM)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def question_text(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """What the engine should match: no mentions, no invisible characters, one line, capped."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    text = _MENTION.sub(" ", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return textsplit.truncate(text, limit, ellipsis="")


def echo(text: str, limit: int = 200) -> str:
    """A quotable, harmless rendering of user text, at most ``limit`` characters."""
    text = _WHITESPACE.sub(" ", strip_invisible(text)).strip()
    room = limit
    while True:  # escaping lengthens the text: cut the source shorter until the result fits
        shown = escape_mentions(escape_markdown(textsplit.truncate(text, room)))
        if len(shown) <= limit or room <= 1:
            return shown if len(shown) <= limit else ""
        room -= len(shown) - limit
