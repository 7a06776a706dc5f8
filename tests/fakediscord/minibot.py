"""A minimal discord.py bot used to prove the fake Discord against the real client library.

Run as ``python -m tests.fakediscord.minibot`` with DISCORD_TOKEN, DISCORD_API_BASE and
DISCORD_GATEWAY_URL set (the same settings the real bot reads). Not part of the product.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import struct
import sys
import zlib

import discord
import yarl
from discord import app_commands
from discord.ext import commands

log = logging.getLogger("minibot")

TOPICS = ["cadence", "posture", "footwear", "warmup", "technique", "arm_swing", "incline"]


def tiny_png() -> bytes:
    """A valid 1x1 PNG, built by hand (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class Counter(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=600)
        self.count = 0

    @discord.ui.button(label="Count", style=discord.ButtonStyle.primary, custom_id="mini:count")
    async def count_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[Counter]
    ) -> None:
        self.count += 1
        button.label = f"Count {self.count}"
        await interaction.response.edit_message(
            content=f"clicked {self.count} by {interaction.user.name}", view=self
        )

    @discord.ui.select(
        custom_id="mini:pick",
        options=[discord.SelectOption(label=t, value=t) for t in TOPICS[:3]],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[Counter]
    ) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Your feedback", custom_id="mini:text"
    )
    mood: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Mood", custom_id="mini:mood", required=False, max_length=20
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"thanks: {self.text.value} / {self.mood.value or '-'}", ephemeral=True
        )


class MiniBot(commands.Bot):
    def __init__(self) -> None:
        shards: dict[str, int] = {}
        if os.environ.get("DISCORD_SHARD_COUNT"):
            shards = {
                "shard_id": int(os.environ.get("DISCORD_SHARD_ID", "0")),
                "shard_count": int(os.environ["DISCORD_SHARD_COUNT"]),
            }
        super().__init__(
            **shards,  # type: ignore[arg-type]
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.reconnects = 0

    async def setup_hook(self) -> None:
        if os.environ.get("MINIBOT_SYNC", "1") == "1":
            synced = await self.tree.sync()
            log.info("synced %d commands", len(synced))

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))

    async def on_resumed(self) -> None:
        log.info("resumed")

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        assert self.user is not None
        direct = isinstance(message.channel, discord.DMChannel)
        if direct or self.user in message.mentions:
            text = (
                message.content.replace(self.user.mention, "")
                .replace(f"<@!{self.user.id}>", "")
                .strip()
            )
            await message.reply(f"you said: {text}")


bot = MiniBot()


@bot.tree.command(description="Answers privately")
async def ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong", ephemeral=True)


@bot.tree.command(description="Repeats the text publicly, pinging nobody")
@app_commands.describe(text="what to repeat", times="how many times")
async def echo(
    interaction: discord.Interaction, text: str, times: app_commands.Range[int, 1, 3] = 1
) -> None:
    await interaction.response.send_message(" ".join([text] * times))


@bot.tree.command(description="Open a topic")
async def guide(interaction: discord.Interaction, topic: str) -> None:
    await interaction.response.send_message(
        embed=discord.Embed(title=topic, description=f"all about {topic}")
    )


@guide.autocomplete("topic")
async def guide_topic(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t.title(), value=t) for t in TOPICS if current.lower() in t][
        :25
    ]


@bot.tree.command(description="A counter button and a select")
async def buttons(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("clicked 0", view=Counter())


@bot.tree.command(description="Opens a modal")
async def form(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(Feedback())


@bot.tree.command(description="Thinks, then answers privately")
async def slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    await asyncio.sleep(0.05)
    await interaction.followup.send("done thinking")


@bot.tree.command(description="Thinks, then edits the original")
async def slowedit(interaction: discord.Interaction) -> None:
    await interaction.response.defer()
    await interaction.edit_original_response(content="edited after defer")
    await interaction.followup.send("and a follow-up", ephemeral=True)


@bot.tree.command(description="Sends a chart image")
async def chart(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(
        "your chart",
        file=discord.File(io.BytesIO(tiny_png()), filename="chart.png"),
        ephemeral=True,
    )


@bot.tree.command(description="DMs a user")
async def dm(interaction: discord.Interaction, user: discord.User) -> None:
    try:
        await user.send("hello from minibot")
    except discord.Forbidden as exc:
        await interaction.response.send_message(
            f"forbidden {exc.status} {exc.code}", ephemeral=True
        )
    else:
        await interaction.response.send_message("sent", ephemeral=True)


@bot.tree.command(description="Posts several channel messages (rate-limit test)")
async def spam(interaction: discord.Interaction, count: app_commands.Range[int, 1, 20]) -> None:
    await interaction.response.defer(ephemeral=True)
    assert isinstance(interaction.channel, discord.abc.Messageable)
    for i in range(count):
        await interaction.channel.send(f"spam {i}")
    await interaction.followup.send(f"sent {count}")


@bot.tree.command(description="Fails on purpose")
async def boom(interaction: discord.Interaction) -> None:
    raise RuntimeError("boom")


reminders = app_commands.Group(name="reminders", description="Walk reminders")


@reminders.command(name="start", description="Start reminders")
@app_commands.choices(
    where=[
        app_commands.Choice(name="dm", value="dm"),
        app_commands.Choice(name="here", value="here"),
    ]
)
async def reminders_start(
    interaction: discord.Interaction, time: str, where: app_commands.Choice[str] | None = None
) -> None:
    picked = where.value if where is not None else "dm"
    await interaction.response.send_message(f"reminders at {time} via {picked}", ephemeral=True)


bot.tree.add_command(reminders)


@bot.tree.error
async def on_app_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    log.error("command failed: %r", error)
    if not interaction.response.is_done():
        await interaction.response.send_message("sorry, that failed", ephemeral=True)


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    token = os.environ["DISCORD_TOKEN"]
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"].rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.start(token)

    asyncio.run(runner())
    log.info("closed cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
