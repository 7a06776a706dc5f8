"""The walking club under a busy morning: 1,000 "I walked" presses in 10 s on one walk call.

    .venv/bin/python bench/club_bench.py [--presses 1000] [--seconds 10] [--repeats 100]
                                         [--json PATH]

Starts a FakeDiscord on 127.0.0.1 with Discord's limits (50 requests/s global; message edits
5 per 5 s per channel), a server with ``--presses`` members, registers the commands, sets up the
club with its call due a few seconds ago (straight in the database), starts the bot
(``python -m bot``): its first sweep posts the call. Then ``--presses`` members press "I walked"
spread evenly over ``--seconds`` seconds, plus ``--repeats`` repeat presses.

Measured: presses answered, counted (the table, through ``/club status``) and shown on the call
(the last edit), the edits of the call and the shortest gap between two, every 429 the fake
sent. Targets (issue 13): all counted once, edits paced (at most one per 3 s), no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402

from schedules.club.store import ClubStore  # noqa: E402
from schedules.store.db import Database  # noqa: E402
from schedules.store.schema import clubs_table  # noqa: E402
from tests.e2e.harness import BotProcess, walkwell  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeMessage  # noqa: E402

EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"
MIN_EDIT_GAP = 3.0


def shown(message: FakeMessage) -> int | None:
    found = re.search(r"(\d+) walked today", message.embeds[0]["description"])
    return int(found.group(1)) if found else None


async def seed(workdir: Path, guild_id: int, channel_id: int) -> None:
    """The club, with its call due 5 s ago: the bot's first sweep posts it."""
    db = await Database.open(f"sqlite+aiosqlite:///{workdir / 'walkwell.db'}")
    try:
        now = datetime.now(UTC)
        await ClubStore(db).setup(guild_id, channel_id, None, "7:00", "UTC", now)
        async with db.begin() as conn:
            await conn.execute(
                update(clubs_table)
                .where(clubs_table.c.guild_id == guild_id)
                .values(next_due_utc=now - timedelta(seconds=5), next_club_day=now.date())
            )
    finally:
        await db.close()


async def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="walkwell-club-bench-"))
    async with FakeDiscord() as fake:
        fake.limit_route("PATCH", EDIT_ROUTE, limit=5, per=5.0)
        guild = fake.add_guild("club bench")
        channel = fake.add_text_channel(guild, "walks")
        users = [fake.add_user(f"walker{i}") for i in range(args.presses)]
        for user in users:
            fake.add_member(guild, user)
        synced = await walkwell(fake, workdir, "sync")
        if synced.returncode != 0:
            print(synced.output, file=sys.stderr)
            return 1
        await seed(workdir, guild.id, channel.id)
        bot = BotProcess(fake, workdir)
        await bot.start()
        try:
            await bot.wait_ready(timeout=60)
            call = await fake.wait_for_bot_message(
                channel, timeout=90, predicate=lambda m: m.kind == "channel"
            )
            button = next(c for c in call.custom_ids() if c.startswith("ww:club:walk:"))
            before_429 = len(fake.sent_429)
            presses = [(u, False) for u in users] + [
                (users[i * len(users) // max(1, args.repeats)], True) for i in range(args.repeats)
            ]
            gap = args.seconds / len(presses)
            started = time.monotonic()

            async def press(n: int, user: object, repeat: bool) -> tuple[bool, str, float]:
                await asyncio.sleep(max(0.0, started + n * gap - time.monotonic()))
                ix = await fake.click(user, call, button)  # type: ignore[arg-type]
                msg = await ix.final(timeout=30)
                return repeat, msg.text(), msg.ephemeral and ix.responded

            results = await asyncio.gather(*(press(n, u, r) for n, (u, r) in enumerate(presses)))
            pressed_in = time.monotonic() - started
            thanked = sum(1 for r, text, _ in results if not r and "Thank you" in text)
            repeats_ok = sum(1 for r, text, _ in results if r and "already counted" in text)
            await fake.wait_until(lambda: shown(call) == args.presses, timeout=30)
            settled = time.monotonic() - started
            await asyncio.sleep(MIN_EDIT_GAP + 1)  # no edit after the last state
            edits = [r for r in fake.requests if r.method == "PATCH" and str(call.id) in r.path]
            gaps = [b.at - a.at for a, b in zip(edits, edits[1:], strict=False)]
            admin = fake.owner
            status = await fake.slash(admin, "club status", channel=channel)
            counted_text = (await status.final(timeout=10)).text()
            counted = int(re.search(r"Today: (\d+) walked", counted_text).group(1))  # type: ignore[union-attr]
            result = {
                "presses": args.presses,
                "repeats": args.repeats,
                "seconds": round(pressed_in, 2),
                "thanked": thanked,
                "repeats_refused": repeats_ok,
                "counted": counted,
                "shown": shown(call),
                "settled_seconds": round(settled, 2),
                "edits": len(edits),
                "min_edit_gap_seconds": round(min(gaps), 2) if gaps else None,
                "http_429": len(fake.sent_429) - before_429,
                "problems": len(fake.problems()),
            }
            print(json.dumps(result, indent=2))
            if args.json:
                text = json.dumps(result, indent=2) + "\n"
                await asyncio.to_thread(Path(args.json).write_text, text, encoding="utf-8")
            ok = (
                thanked == counted == result["shown"] == args.presses
                and repeats_ok == args.repeats
                and result["http_429"] == 0
                and all(g >= MIN_EDIT_GAP for g in gaps)
                and result["problems"] == 0
            )
            return 0 if ok else 3
        finally:
            await bot.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--presses", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--json", metavar="PATH")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
