"""``/faq``."""

from __future__ import annotations

from typing import Any

from bot.exts.faq import Faq
from knowledge.models import Library
from tests.helpers import MockInteraction, custom_ids, sent


async def test_faq_lists_every_question_each_openable(bot: Any, library: Library) -> None:
    interaction = MockInteraction(client=bot)
    cog = Faq(bot)
    await cog.faq.callback(cog, interaction)
    kwargs = sent(interaction.response.send_message)
    faqs = [u for u in library.units.values() if u.kind == "faq"]
    assert len(faqs) == 5
    for unit in faqs:
        assert (unit.question or unit.title) in kwargs["embed"].description
    assert custom_ids(kwargs["view"]) == [f"ww:unit:{u.id}" for u in faqs]
