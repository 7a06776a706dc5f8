"""Turn knowledge into Discord messages, and send them.

Builders are pure (a :class:`Reply` from library data; no database, no client state);
:func:`respond` and :func:`reply_to` send a Reply to an interaction or as a reply to a message.
Every embed is fitted to Discord's limits here, so no cog has to count characters. No builder ever
mixes the seek-care message with tips or buttons.

The two buttons answers carry live here, for every feature to put under a reply:
:class:`UnitButton` (registered by :mod:`bot.exts.guide`) and :class:`FeedbackButton`, whose vote
is recorded by the ask extension (:mod:`bot.exts.ask.feedback`, which registers it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import discord

from bot import errors
from bot.ui import sanitize, textsplit
from bot.ui.buttons import Pressable
from knowledge.models import Library, Unit
from knowledge.texts import Texts

log = logging.getLogger(__name__)

ANSWER_COLOUR = discord.Colour(0x2E8B57)
INFO_COLOUR = discord.Colour(0x4F7CAC)
URGENT_COLOUR = discord.Colour(0xC0392B)

#: Related-topic or suggestion buttons under one answer.
MAX_TOPIC_BUTTONS = 3
#: The row of the "Was this helpful?" buttons (topic buttons take the first).
FEEDBACK_ROW = 1
#: The cog that records votes (:class:`bot.exts.ask.feedback.Feedback`).
FEEDBACK_COG = "Feedback"


@dataclass
class Reply:
    """One message to send: what it holds and whether only the caller may see it."""

    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    content: str | None = None
    ephemeral: bool = False

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.content is not None:
            out["content"] = self.content
        if self.embed is not None:
            out["embed"] = self.embed
        if self.view is not None:
            out["view"] = self.view
        return out

    def text_pieces(self) -> list[str]:
        """The reply as plain messages of at most 2000 characters (for channels without embeds)."""
        parts = [self.content] if self.content else []
        if self.embed is not None:
            if self.embed.title:
                parts.append(f"**{self.embed.title}**")
            if self.embed.description:
                parts.append(self.embed.description)
            if self.embed.footer.text:
                parts.append(f"-# {self.embed.footer.text}")
        return textsplit.split("\n\n".join(parts), textsplit.CONTENT_LIMIT)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` cut to Discord's limits (per part and 6000 in all), between words."""
    if embed.title:
        embed.title = textsplit.truncate(embed.title, textsplit.EMBED_TITLE_LIMIT)
    if embed.description:
        embed.description = textsplit.truncate(embed.description, textsplit.EMBED_DESCRIPTION_LIMIT)
    if embed.footer.text:
        embed.set_footer(
            text=textsplit.truncate(embed.footer.text, textsplit.EMBED_FOOTER_LIMIT),
            icon_url=embed.footer.icon_url,
        )
    excess = len(embed) - textsplit.EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        room = max(len(embed.description) - excess, 1)
        embed.description = textsplit.truncate(embed.description, room)
    return embed


def unit_heading(unit: Unit) -> str:
    """What a unit is called on screen: an FAQ's question as the guide asks it, else its title."""
    return unit.question if unit.kind == "faq" and unit.question else unit.title


class UnitButton(
    Pressable,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:unit:(?P<unit>[a-z0-9_]{1,80})",
):
    """A button that opens one unit privately for whoever clicks it.

    Its whole state is the custom id ``ww:unit:<id>``, so it keeps working after a restart.
    """

    def __init__(self, unit_id: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=textsplit.truncate(label, textsplit.BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.secondary,
                custom_id=f"ww:unit:{unit_id}",
            )
        )
        self.unit_id = unit_id

    @classmethod
    def from_match(
        cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> UnitButton:
        return cls(match["unit"], getattr(item, "label", None) or match["unit"])

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        bot: Any = interaction.client
        unit = bot.library.units.get(self.unit_id)
        if unit is None:
            await errors.send_private(interaction, bot.texts("unit_gone"))
            return
        feedback = interaction.id if bot.services.storage else None
        await respond(
            interaction,
            unit_reply(bot.library, unit, ephemeral=True, feedback_key=feedback, texts=bot.texts),
        )


class FeedbackButton(
    Pressable,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:fb:(?P<vote>[yn]):(?P<unit>[a-z0-9_]{1,32}):(?P<key>\d{1,20})",
):
    """ "Was this helpful?" Yes or No under an answer: ``ww:fb:<y|n>:<unit id>:<answer key>``.

    The answer key is the id of the interaction or message the answer replied to; the question
    asked is looked up by it (:mod:`schedules.feedback.store`), so a vote works after a restart.
    One vote per person per answer: voting again changes it.
    """

    def __init__(self, helpful: bool, unit_id: str, key: int, texts: Texts | None = None) -> None:
        t = texts or Texts()
        super().__init__(
            discord.ui.Button(
                label=textsplit.truncate(
                    t("feedback_yes" if helpful else "feedback_no"), textsplit.BUTTON_LABEL_LIMIT
                ),
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=f"ww:fb:{'y' if helpful else 'n'}:{unit_id}:{key}",
                row=FEEDBACK_ROW,
            )
        )
        self.helpful, self.unit_id, self.key = helpful, unit_id, key

    @classmethod
    def from_match(
        cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        texts = getattr(client, "texts", None)
        return cls(
            match["vote"] == "y",
            match["unit"],
            int(match["key"]),
            texts if isinstance(texts, Texts) else None,
        )

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        """The vote is the ask extension's to record (its ``Feedback`` cog)."""
        feedback: Any = interaction.client.get_cog(FEEDBACK_COG)  # type: ignore[attr-defined]
        if feedback is None:
            raise RuntimeError("the feedback extension is not loaded")
        await feedback.vote(interaction, self.helpful, self.unit_id, self.key)


def topic_view(
    library: Library, unit_ids: Iterable[str], limit: int = MAX_TOPIC_BUTTONS
) -> discord.ui.View | None:
    """Buttons (at most ``limit``) that each open a unit with one click, even after a restart."""
    view = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for unit_id in unit_ids:
        if unit_id in seen or unit_id not in library.units:
            continue
        seen.add(unit_id)
        view.add_item(UnitButton(unit_id, unit_heading(library.units[unit_id])))
        if len(seen) == limit:
            break
    return view if seen else None


def unit_reply(
    library: Library,
    unit: Unit,
    *,
    ephemeral: bool = False,
    feedback_key: int | None = None,
    texts: Texts | None = None,
    did_you_mean: Iterable[str] = (),
) -> Reply:
    """A unit of the guide: its heading, its text, the not-medical-advice note, related topics.

    With ``feedback_key`` (the id of what the answer replies to) it asks "Was this helpful?" under
    the note, with Yes / No buttons (:class:`FeedbackButton`). With ``did_you_mean`` (the
    engine's runner-ups, when it was not sure) those units are offered instead of the related
    ones, as one-click "Did you mean" topics.
    """
    t = texts or Texts()
    embed = discord.Embed(title=unit_heading(unit), description=unit.body, colour=ANSWER_COLOUR)
    footer = library.disclaimer
    others = [u for u in did_you_mean if u != unit.id]
    view = topic_view(library, others) if others else None
    if view is not None:
        footer = f"{footer}\n{t('did_you_mean')}"
    else:
        view = topic_view(library, unit.related)
    if feedback_key is not None:
        footer = f"{footer}\n{t('feedback_prompt')}"
        view = view or discord.ui.View(timeout=None)
        for helpful in (True, False):
            view.add_item(FeedbackButton(helpful, unit.id, feedback_key, t))
    embed.set_footer(text=footer)
    return Reply(embed=fit_embed(embed), view=view, ephemeral=ephemeral)


def seek_care_reply(library: Library, texts: Texts, *, ephemeral: bool = False) -> Reply:
    """The seek-care message alone: no tips, no related topics, no buttons."""
    embed = discord.Embed(
        title=texts("seek_care_title"), description=library.seek_care, colour=URGENT_COLOUR
    )
    return Reply(embed=fit_embed(embed), ephemeral=ephemeral)


def not_found_reply(
    library: Library,
    texts: Texts,
    suggestions: Iterable[str],
    *,
    question: str | None = None,
    ephemeral: bool = True,
    reason: str | None = None,
) -> Reply:
    """An honest "the guide does not cover this", with buttons for close units if any. A
    treatment question (``reason`` ``"treatment"``: medication, injections, surgery) is pointed
    to a pharmacist or clinician."""
    view = topic_view(library, suggestions)
    if reason == "treatment":
        key = "not_in_guide_treatment"
    else:
        key = "not_in_guide" if view is not None else "not_in_guide_offtopic"
    parts = [texts(key)]
    if question:
        parts.insert(0, texts("you_asked", question=sanitize.echo(question)))
    embed = discord.Embed(
        title=texts("not_in_guide_title"), description="\n\n".join(parts), colour=INFO_COLOUR
    )
    return Reply(embed=fit_embed(embed), view=view, ephemeral=ephemeral)


async def respond(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Send ``reply`` as the answer to ``interaction`` (a follow-up if it was deferred)."""
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=reply.ephemeral, **reply.kwargs())
    else:
        await interaction.response.send_message(ephemeral=reply.ephemeral, **reply.kwargs())


def _can_embed(message: discord.Message) -> bool:
    guild = message.guild
    if guild is None or guild.me is None:
        return True
    return message.channel.permissions_for(guild.me).embed_links  # type: ignore[union-attr]


async def reply_to(message: discord.Message, reply: Reply) -> discord.Message:
    """Send ``reply`` as a reply to ``message`` (mentions and DMs; nothing is private there).

    Where the bot may not embed, the same text goes out as plain messages, cut between words.
    """
    if _can_embed(message):
        return await message.reply(mention_author=False, **reply.kwargs())
    pieces = [Reply(content=piece) for piece in reply.text_pieces()]
    pieces[-1].view = reply.view
    sent = await message.reply(mention_author=False, **pieces[0].kwargs())
    for piece in pieces[1:]:
        sent = await message.channel.send(**piece.kwargs())
    return sent
