"""The walk journal: ``/walk log`` and its form (``walk``), ``/progress`` and its chart
(``progress``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.journal import progress, walk

if TYPE_CHECKING:
    from bot.app import WalkWell


async def setup(bot: WalkWell) -> None:
    await walk.setup(bot)
    await progress.setup(bot)
