"""/privacy delete is one transaction: a failure in any feature's erase leaves everything."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.store import userdata
from schedules.store.db import Database
from schedules.store.userdata import UserData, erase_user, export_user
from tests.schedules.store.test_userdata import ALICE, _fill, db

__all__ = ["db"]


async def test_a_failing_erase_rolls_back_every_feature(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill(db, ALICE, 9001)
    before = await export_user(db, ALICE)
    [reminders] = userdata.registrations("reminders")  # erased last, after journal and feedback

    async def erase_then_fail(conn: AsyncConnection, user_id: int) -> int:
        assert reminders.erase is not None
        await reminders.erase(conn, user_id)  # every row of the user is gone in this transaction
        raise RuntimeError("the disk is full")

    broken = UserData(reminders.feature, reminders.tables, reminders.export, erase_then_fail)
    monkeypatch.setitem(userdata._registry, "reminders", broken)
    with pytest.raises(RuntimeError):
        await erase_user(db, ALICE)
    monkeypatch.undo()
    assert await export_user(db, ALICE) == before  # nothing of the erase stuck
    assert await erase_user(db, ALICE) > 0
    assert all(not rows for name, rows in (await export_user(db, ALICE)).items() if name != "user")
