"""Uncertain answers offer the engine's runner-ups as one-click "Did you mean" topic buttons."""

from __future__ import annotations

from typing import Any

from bot.exts.ask import Ask
from bot.ui import render
from knowledge.models import Library
from tests.helpers import FakeResult, MockInteraction, custom_ids, sent


async def ask(bot: Any, question: str) -> dict[str, Any]:
    interaction = MockInteraction(client=bot)
    cog = Ask(bot)
    try:
        await cog.ask.callback(cog, interaction, question=question)
    finally:
        cog.answers.close()
    return sent(interaction.response.send_message)


async def test_uncertain_answer_offers_the_runner_ups_instead_of_related(
    bot: Any, library: Library
) -> None:
    bot.engine.results["how fast up a hill"] = FakeResult(
        "answer", "cadence", 0.5, ["incline", "cadence", "step_length"]
    )
    kwargs = await ask(bot, "how fast up a hill")
    assert kwargs["embed"].title == library.units["cadence"].title
    # the answer itself is never offered again; the others in the engine's order
    assert custom_ids(kwargs["view"]) == ["ww:unit:incline", "ww:unit:step_length"]
    assert bot.texts("did_you_mean") in kwargs["embed"].footer.text
    assert kwargs["ephemeral"] is False


async def test_sure_answer_keeps_its_related_topics_and_no_prompt(
    bot: Any, library: Library
) -> None:
    kwargs = await ask(bot, "how should i stand")
    unit = library.units["posture"]
    assert custom_ids(kwargs["view"]) == [f"ww:unit:{u}" for u in unit.related[:3]]
    assert bot.texts("did_you_mean") not in kwargs["embed"].footer.text


async def test_runner_ups_sit_above_the_feedback_buttons(stored_bot: Any) -> None:
    stored_bot.engine.results["how fast up a hill"] = FakeResult(
        "answer", "cadence", 0.5, ["incline", "faq_how_often"]
    )
    interaction = MockInteraction(client=stored_bot)
    cog = Ask(stored_bot)
    try:
        await cog.ask.callback(cog, interaction, question="how fast up a hill")
    finally:
        cog.answers.close()
    view = sent(interaction.response.send_message)["view"]
    ids = custom_ids(view)
    assert ids[:2] == ["ww:unit:incline", "ww:unit:faq_how_often"]
    assert ids[2].startswith("ww:fb:y:cadence:") and ids[3].startswith("ww:fb:n:cadence:")
    rows = [item.row for item in view.children]
    assert rows[:2] == [None, None] and rows[2:] == [render.FEEDBACK_ROW] * 2


async def test_unknown_runner_ups_are_dropped(bot: Any, library: Library) -> None:
    bot.engine.results["how fast up a hill"] = FakeResult(
        "answer", "cadence", 0.5, ["no_such_unit"]
    )
    kwargs = await ask(bot, "how fast up a hill")
    unit = library.units["cadence"]
    assert custom_ids(kwargs["view"]) == [f"ww:unit:{u}" for u in unit.related[:3]]
    assert bot.texts("did_you_mean") not in kwargs["embed"].footer.text


async def test_a_did_you_mean_button_opens_its_unit_privately(bot: Any, library: Library) -> None:
    reply = render.unit_reply(
        library, library.units["cadence"], texts=bot.texts, did_you_mean=["incline"]
    )
    assert reply.view is not None
    (button,) = reply.view.children
    assert button.custom_id == "ww:unit:incline"  # type: ignore[attr-defined]
    match = render.UnitButton.__discord_ui_compiled_template__.fullmatch(button.custom_id)  # type: ignore[attr-defined]
    assert match is not None
    rebuilt = render.UnitButton.from_match(bot, button, match)
    interaction = MockInteraction(client=bot)
    await rebuilt.press(interaction)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert kwargs["embed"].title == library.units["incline"].title
