"""Answers off the event loop, micro-batched.

The engine (an embedding model, then scoring) runs in one worker thread; onnxruntime releases the
GIL, so the gateway heartbeat and every other interaction keep running while it works. Questions
that arrive while the worker is busy wait in a small queue; the next run takes everything waiting
(up to :data:`MAX_BATCH`) and embeds it in one call (``Engine.answer_many``), which costs far less
per question than one model run each. There is no timer: a question that arrives alone is
answered at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

#: Most questions embedded together (measured: 8 short questions cost ~4 ms each on 2 shared
#: cores against ~14 ms one by one; bigger batches pad more and gain nothing).
MAX_BATCH = 8


def answer_all(engine: Any, texts: Sequence[str]) -> list[Any]:
    """The engine's results for ``texts``, batched when the engine can (test engines may not)."""
    many = getattr(engine, "answer_many", None)
    if callable(many):
        return list(many(texts))
    return [engine.answer(t) for t in texts]


class AnswerBatcher:
    """``await batcher.answer(text)`` is ``engine.answer(text)``, run in the worker thread
    together with whatever else is waiting. ``engine`` is a callable returning the engine, read at
    each batch (the client builds it lazily)."""

    def __init__(self, engine: Callable[[], Any], max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self.max_batch = max_batch
        self._waiting: list[tuple[str, asyncio.Future[Any]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="walkwell-answer")
        #: sizes of the batches run so far (tests and the benchmark read it)
        self.batches: list[int] = []

    async def answer(self, text: str) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((text, future))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run(), name="walkwell-answers")
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            texts = [t for t, _ in batch]
            self.batches.append(len(batch))
            try:
                results = await loop.run_in_executor(
                    self._executor, answer_all, self._engine(), texts
                )
            except Exception as exc:  # each caller gets the fault (its own error path)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its caller may have been cancelled
                    future.set_result(result)

    def close(self) -> None:
        """Stop the worker thread (questions still queued are cancelled)."""
        for _, future in self._waiting:
            future.cancel()
        self._waiting.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
