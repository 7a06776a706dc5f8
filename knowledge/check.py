"""``walkwell check [DIR]``: validate a content folder (default: the built-in one).

Prints ``ok: ...`` and returns 0, or prints ``error: FILE: REASON`` for the first problem to
stderr and returns 1. Never imports discord.py.
"""

from __future__ import annotations

import argparse
import sys

from knowledge.loader import ContentError, load_library


def main(args: argparse.Namespace) -> int:
    directory = getattr(args, "dir", None)
    try:
        library = load_library(directory)
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    units = library.units.values()
    sections = sum(1 for u in units if u.kind == "section")
    faqs = sum(1 for u in units if u.kind == "faq")
    aliases = sum(len(u.aliases) for u in units)
    print(
        f"ok: {len(library.units)} units ({sections} sections, {faqs} FAQ), "
        f"{aliases} aliases, {len(library.checklist)} checklist items, "
        f"{len(library.messages)} messages"
    )
    return 0
