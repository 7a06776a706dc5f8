"""``bot.services``: settings -> database -> services -> reminder engine, built once, in order."""

from __future__ import annotations

import pytest

from bot.services import Services, StorageOff


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
