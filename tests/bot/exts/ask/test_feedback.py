"""``bot.exts.ask.feedback``: "Was this helpful?", votes, and the questions kept, with a real database."""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest

from bot.exts.ask import Ask
from bot.ui import render
from knowledge.models import Library
from schedules.store.db import Database
from schedules.store.userdata import export_user
from tests.helpers import MockInteraction, MockUser, private_text, sent


@pytest.fixture
def bot(stored_bot: Any) -> Any:
    return stored_bot


def feedback_ids(view: discord.ui.View | None) -> list[str]:
    ids = [getattr(i, "custom_id", "") for i in (view.children if view else [])]
    return [c for c in ids if c.startswith("ww:fb:")]


def test_unit_reply_asks_for_feedback_only_with_a_key(library: Library) -> None:
    unit = library.units["posture"]
    plain = render.unit_reply(library, unit)
    assert feedback_ids(plain.view) == []
    assert plain.embed is not None and plain.embed.footer.text == library.disclaimer
    asked = render.unit_reply(library, unit, feedback_key=42)
    assert feedback_ids(asked.view) == ["ww:fb:y:posture:42", "ww:fb:n:posture:42"]
    assert asked.embed is not None and asked.embed.footer.text is not None
    assert asked.embed.footer.text.startswith(library.disclaimer)
    assert asked.embed.footer.text.endswith("Was this helpful?")
    rows = {getattr(i, "custom_id", ""): i.row for i in asked.view.children}  # type: ignore[union-attr]
    assert rows["ww:fb:y:posture:42"] == render.FEEDBACK_ROW


async def test_a_vote_is_one_per_person_and_names_no_question(bot: Any, db: Database) -> None:
    asker = MockUser()
    interaction = MockInteraction(client=bot, user=asker)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="how should i stand")
    yes, no = feedback_ids(sent(interaction.response.send_message)["view"])
    assert yes == f"ww:fb:y:posture:{interaction.id}"

    voter = MockUser()
    replies = []
    for custom_id in (yes, no, no):
        button = render.FeedbackButton(True, "x", 1)
        match = button.template.fullmatch(custom_id)
        assert match is not None
        click = MockInteraction(client=bot, user=voter, type=discord.InteractionType.component)
        item = await render.FeedbackButton.from_custom_id(click, button.item, match)
        await item.callback(click)
        replies.append(private_text(click))
    assert replies[0] == bot.texts("feedback_thanks")
    assert replies[1] == replies[2] == bot.texts("feedback_changed")
    voters = await export_user(db, voter.id)
    [vote] = voters["feedback"]
    assert (vote["unit_id"], vote["helpful"], vote["answer_id"]) == (
        "posture",
        False,
        interaction.id,
    )
    assert "how should i stand" not in json.dumps(voters)  # the asker's words stay the asker's
    [kept] = (await export_user(db, asker.id))["answers"]
    assert kept["question"] == "how should i stand"


async def test_an_unanswered_question_is_recorded(bot: Any, db: Database) -> None:
    user = MockUser()
    interaction = MockInteraction(client=bot, user=user)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="heat or ice")
    data = await export_user(db, user.id)
    assert [q["question"] for q in data["unanswered"]] == ["heat or ice"]


@pytest.mark.parametrize("question", ["how should i stand", "heat or ice"])
async def test_the_answer_is_sent_before_anything_is_written(
    bot: Any, monkeypatch: pytest.MonkeyPatch, question: str
) -> None:
    """Nobody waits for a database write before their answer: the bookkeeping comes after."""
    import schedules.feedback.store

    order: list[str] = []
    interaction = MockInteraction(client=bot, user=MockUser())

    async def sent_first(*args: Any, **kwargs: Any) -> bool:
        order.append("write" if interaction.response.send_message.await_count else "write-first")
        return True

    monkeypatch.setattr(schedules.feedback.store, "remember_answers", sent_first)
    monkeypatch.setattr(schedules.feedback.store, "record_unanswered", sent_first)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question=question)
    assert interaction.response.send_message.await_count == 1
    assert order == ["write"]
