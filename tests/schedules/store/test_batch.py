"""``schedules.store.batch``: what arrives during a run goes together in the next, with no timer."""

from __future__ import annotations

import asyncio

import pytest

from schedules.store.batch import Batcher


async def test_items_that_arrive_during_a_run_go_together_and_each_gets_its_result() -> None:
    gate = asyncio.Event()
    seen: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        seen.append(items)
        await gate.wait()
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(run)
    first = batcher.submit(1)
    await asyncio.sleep(0)  # the first run has started, alone: no timer holds it back
    assert seen == [[1]]
    later = [batcher.submit(i) for i in (2, 3, 4)]
    gate.set()
    assert await first == 10
    assert [await f for f in later] == [20, 30, 40]
    assert seen == [[1], [2, 3, 4]]
    assert list(batcher.runs) == [1, 3]


async def test_at_most_max_batch_items_per_run() -> None:
    async def run(items: list[int]) -> list[int]:
        return items

    batcher: Batcher[int, int] = Batcher(run, max_batch=2)
    futures = [batcher.submit(i) for i in range(5)]
    assert [await f for f in futures] == [0, 1, 2, 3, 4]
    assert list(batcher.runs) == [2, 2, 1]


async def test_a_failed_run_fails_its_callers_only_and_the_next_run_goes_on() -> None:
    async def run(items: list[int]) -> list[int]:
        if 1 in items:
            raise RuntimeError("database down")
        return items

    batcher: Batcher[int, int] = Batcher(run, max_batch=1)
    failing, fine = batcher.submit(1), batcher.submit(2)
    with pytest.raises(RuntimeError):
        await failing
    assert await fine == 2


async def test_drain_waits_for_everything_submitted() -> None:
    done: list[int] = []

    async def run(items: list[int]) -> list[None]:
        await asyncio.sleep(0.01)
        done.extend(items)
        return [None] * len(items)

    batcher: Batcher[int, None] = Batcher(run)
    for i in range(3):
        batcher.submit(i)  # nobody awaits these: they are written all the same
    await batcher.drain()
    assert sorted(done) == [0, 1, 2]
