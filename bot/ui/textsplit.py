"""Cut and split text to Discord's limits without breaking words.

Discord's limits (characters): 2000 for a message's content, 4096 for an embed description,
256 for an embed title, 1024 for a field value, 2048 for a footer, 6000 for all embeds of a message.
Python's ``len`` counts code points, which is what Discord counts too.

Cuts prefer, in order: a paragraph break, a line break, a sentence end, a space. Only a single
"word" longer than the whole limit (a URL, or a hostile run of letters with no space) is cut
mid-way, because there is nothing else to cut at.
"""

from __future__ import annotations

import re

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
CHOICE_NAME_LIMIT = 100

ELLIPSIS = "…"

_SENTENCE_END = re.compile(r"[.!?…][)\]\"'”’]*\s")


def _cut_point(text: str, limit: int) -> int:
    """The best index <= limit to cut ``text`` at (text[:i] is kept), never 0."""
    window = text[: limit + 1]  # one more: a space right after the limit is a clean cut too
    for sep in ("\n\n", "\n"):
        i = window.rfind(sep, 0, limit + 1)
        if i > limit // 2:
            return i
    best = -1
    for m in _SENTENCE_END.finditer(window):
        end = m.end() - 1  # keep the punctuation, cut at the whitespace
        if end <= limit:
            best = end
    if best > limit // 2:
        return best
    spaces = [m.start() for m in re.finditer(r"\s", window)]
    if spaces and spaces[-1] > 0:
        return spaces[-1]
    return limit  # one word longer than the limit: nothing better exists


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ``ellipsis`` appended."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if len(ellipsis) >= limit:
        return ellipsis[:limit]
    room = limit - len(ellipsis)
    cut = _cut_point(text, room)
    return text[:cut].rstrip() + ellipsis


def split(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters each, cut between words.

    Whitespace at a cut is dropped; nothing else is lost. Empty text gives no pieces.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            pieces.append(rest)
            break
        cut = _cut_point(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    return pieces
