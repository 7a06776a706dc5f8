"""``walkwell ask``: answer from the guide in the terminal, no Discord needed.

- ``walkwell ask "QUESTION"``: the unit's title and text with the disclaimer, or the
  not-in-the-guide message with suggested topics, or the seek-care message.
- ``walkwell ask --json "QUESTION"``: one JSON object (CONTRACT.md).
- ``walkwell ask --json`` with no question: one question per line on standard input, one JSON
  object per line on standard output, in order (an empty line is a question too: ``none``).

Never imports discord.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from typing import TextIO

from knowledge.engine import Engine, Result
from knowledge.models import Library
from knowledge.text import MAX_CHARS
from knowledge.texts import Texts


def render_text(library: Library, result: Result) -> str:
    """The terminal rendering of one result."""
    if result.kind == "urgent":
        return library.seek_care
    if result.kind == "answer" and result.id is not None:
        unit = library.units[result.id]
        return f"{unit.title}\n\n{unit.body}\n\n{library.disclaimer}"
    texts = Texts.from_library(library)
    if result.reason == "treatment":
        return texts("not_in_guide_treatment")
    if result.suggestions:
        lines = [texts("not_in_guide")]
        lines += [f"- {library.units[s].title}" for s in result.suggestions if s in library.units]
        return "\n".join(lines)
    return texts("not_in_guide_offtopic")


def _clean(line: str) -> str:
    return line.rstrip("\r\n")[:MAX_CHARS]


def _batch(engine: Engine, stdin: TextIO, stdout: TextIO) -> int:
    for line in stdin:
        result = engine.answer(_clean(line))
        stdout.write(json.dumps(result.to_json()) + "\n")
        stdout.flush()
    return 0


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="walkwell: %(message)s", stream=sys.stderr)
    words = [str(w) for w in (getattr(args, "question", None) or [])]
    as_json = bool(getattr(args, "json", False))
    if not words and not as_json:
        print(
            'usage: walkwell ask "QUESTION"  (or: walkwell ask --json < questions.txt)',
            file=sys.stderr,
        )
        return 2
    engine = Engine.load()
    if not words:
        # Undecodable bytes must not stop the batch: they become U+FFFD, the line still answers.
        stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return _batch(engine, stdin, sys.stdout)
    question = " ".join(words)[:MAX_CHARS]
    result = engine.answer(question)
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        print(render_text(engine.library, result))
    return 0
