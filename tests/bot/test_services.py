"""``bot.services``: settings -> database -> services -> reminder engine, built once, in order."""

from __future__ import annotations

import pytest

from bot.services import Services, StorageOff
from schedules.store.db import Database


async def test_services_are_built_once_in_order(services: Services) -> None:
    assert services.storage and services.database() is services.db
    assert services.reminders is not None and services.engine is not None
    assert services.reminders.engine is services.engine  # told when a user stops
    assert services.engine.planner is services.planner
    await services.close()
    assert not services.storage and services.engine is None


def test_storage_off_is_said_in_one_place() -> None:
    off = Services.off()
    assert not off.storage
    with pytest.raises(StorageOff):
        off.database()
    with pytest.raises(StorageOff):
        off.reminder_service()


async def test_answers_written_together_all_land_even_when_closing(services: Services) -> None:
    """Rows submitted together share one write; closing waits for the ones not yet written."""
    from datetime import UTC, datetime

    from schedules.feedback.store import answer_context, answer_row

    db = services.database()
    writer = services.answer_writer()
    now = datetime.now(UTC)
    for key in range(1000, 1010):
        row = answer_row(key, "posture", f"question {key}", now=now, user_id=7)
        assert row is not None
        writer.submit(row)  # nobody awaits: as an answer whose handler was cut short
    assert services.answer_writer() is writer
    await services.close()
    assert sum(writer.runs) == 10 and len(writer.runs) < 10  # not one transaction each
    reopened = await Database.open(
        db.engine.url.render_as_string(hide_password=False), upgrade=False
    )
    try:
        for key in range(1000, 1010):
            kept = await answer_context(reopened, key)
            assert kept is not None and kept.question == f"question {key}"
    finally:
        await reopened.close()
