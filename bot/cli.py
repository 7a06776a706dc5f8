"""The ``walkwell`` command line: one entry point, each subcommand imported only when it runs.

Subcommands that need no Discord (``ask``, ``check``) never import discord.py, so they start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _lazy(target: str) -> Handler:
    """A handler that imports ``module:function`` only when the subcommand runs."""

    def run(args: argparse.Namespace) -> int:
        module_name, func_name = target.split(":")
        func: Handler = getattr(importlib.import_module(module_name), func_name)
        return func(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="walkwell",
        description="WalkWell: walking techniques for back pain relief, on Discord.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="start the bot")
    p.set_defaults(handler=_lazy("bot.runner:run_main"))

    p = sub.add_parser("ask", help="answer a question from the guide, no Discord needed")
    p.add_argument("question", nargs="*", help="the question; with --json and none, read stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.set_defaults(handler=_lazy("knowledge.ask:main"))

    p = sub.add_parser("check", help="validate a content folder")
    p.add_argument(
        "dir", nargs="?", default=None, help="content folder (default: the built-in one)"
    )
    p.set_defaults(handler=_lazy("knowledge.content:check_main"))

    p = sub.add_parser("sync", help="register the slash commands with Discord over REST")
    p.add_argument("--guild", type=int, default=None, help="register to one guild (instant)")
    p.set_defaults(handler=_lazy("bot.runner:sync_main"))

    p = sub.add_parser("invite", help="print the OAuth2 URL that adds the bot to a server")
    p.set_defaults(handler=_lazy("bot.runner:invite_main"))

    p = sub.add_parser("db", help="database maintenance")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="apply schema migrations")
    up.set_defaults(handler=_lazy("schedules.cli:db_upgrade_main"))

    p = sub.add_parser("report", help="content report: unanswered questions, least helpful units")
    p.add_argument("--days", type=int, default=None, help="only the last DAYS days (default: all)")
    p.add_argument(
        "--min-votes", type=int, default=5, help="votes a unit needs to be ranked (default 5)"
    )
    p.add_argument("--limit", type=int, default=10, help="rows per list (default 10)")
    p.set_defaults(handler=_lazy("schedules.cli:report_main"))

    p = sub.add_parser("health", help="exit non-zero when the running bot is unhealthy")
    p.set_defaults(handler=_lazy("bot.health:health_main"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
