"""Answers off the event loop: one worker thread, questions that arrive together in one batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from bot.exts.ask.batcher import AnswerBatcher


class GatedEngine:
    """Answers with the text upper-cased, in the thread it is called from; the first batch waits
    for ``gate`` so others can queue up behind it."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()

    def answer_many(self, texts: Sequence[str]) -> list[str]:
        self.threads.add(threading.current_thread().name)
        self.calls.append(list(texts))
        self.started.set()
        if len(self.calls) == 1:
            self.gate.wait(timeout=10)
        if "boom" in texts:
            raise ValueError("boom")
        return [t.upper() for t in texts]


async def test_questions_that_arrive_together_share_a_batch_in_a_worker_thread() -> None:
    engine = GatedEngine()
    batcher = AnswerBatcher(lambda: engine, max_batch=4)
    try:
        first = asyncio.ensure_future(batcher.answer("a"))
        # the worker has taken "a" and is busy
        assert await asyncio.to_thread(engine.started.wait, 10)
        rest = [asyncio.ensure_future(batcher.answer(t)) for t in "bcdefg"]
        # the event loop is free while the engine works
        await asyncio.sleep(0)
        assert not first.done()
        engine.gate.set()
        assert await first == "A"
        assert [await f for f in rest] == list("BCDEFG")
    finally:
        batcher.close()
    assert engine.calls == [["a"], ["b", "c", "d", "e"], ["f", "g"]]
    assert batcher.batches == [1, 4, 2]
    assert threading.current_thread().name not in engine.threads
    assert all(name.startswith("walkwell-answer") for name in engine.threads)


async def test_a_failing_batch_fails_its_callers_and_the_next_batch_still_runs() -> None:
    engine = GatedEngine()
    engine.gate.set()
    batcher = AnswerBatcher(lambda: engine)
    try:
        with pytest.raises(ValueError, match="boom"):
            await batcher.answer("boom")
        assert await batcher.answer("ok") == "OK"
    finally:
        batcher.close()


async def test_an_engine_without_batches_is_asked_one_by_one() -> None:
    class Single:
        def answer(self, text: str) -> Any:
            return text[::-1]

    batcher = AnswerBatcher(Single)
    try:
        assert await asyncio.gather(batcher.answer("ab"), batcher.answer("cd")) == ["ba", "dc"]
    finally:
        batcher.close()


def test_engine_answer_many_equals_answer_one_by_one() -> None:
    from knowledge.engine import Engine

    engine = Engine.load()
    questions = [
        "how fast should I walk?",
        "what shoes should I wear?",
        "best pizza in town?",
        "my legs are numb and I cannot control my bladder",
        "",
        "how fast should I walk?",
    ]
    many = engine.answer_many(questions)
    one = [engine.answer(q) for q in questions]
    assert [(r.kind, r.id, r.suggestions) for r in many] == [
        (r.kind, r.id, r.suggestions) for r in one
    ]
    assert [r.score for r in many] == pytest.approx([r.score for r in one], abs=1e-3)
