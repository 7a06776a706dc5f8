"""Group commit: many callers' small statements as one transaction, without a timer.

``await batcher.submit(item)`` is ``(await run([item]))[0]``, except that the items submitted
while a run is in progress wait for it to end and then go together in the next run (at most
``max_batch`` at a time). An item that arrives alone runs at once, so nobody waits longer than
the run already in progress: under load each transaction (one ``BEGIN``/``COMMIT``, one pooled
connection, one trip to the driver's thread) serves many callers instead of one.

A run that fails fails every caller of that run with its exception (each caller handles it as it
would its own write). :meth:`Batcher.drain` waits until everything submitted so far has run
(shutdown: before the database closes).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["MAX_BATCH", "Batcher"]

T = TypeVar("T")
R = TypeVar("R")

#: Most items in one run (one statement's parameters; far below any driver's limit).
MAX_BATCH = 200


class Batcher(Generic[T, R]):
    """Runs ``run(items) -> results`` (one result per item, in order) for items submitted
    together."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "walkwell-batch",
    ) -> None:
        self._run_batch = run
        self.max_batch = max_batch
        self.name = name
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None
        #: sizes of the latest runs (tests read it)
        self.runs: deque[int] = deque(maxlen=1000)

    def submit(self, item: T) -> asyncio.Future[R]:
        """Queue ``item``; the future is its result once its run has finished. Must be called
        from the event loop; the run starts at the loop's next turn whether or not anyone awaits
        the future."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run(), name=self.name)
        return future

    async def _run(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            self.runs.append(len(batch))
            try:
                results = await self._run_batch([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved: a caller that went away logs nothing
                continue
            except BaseException:  # cancelled (the loop is closing): so is everything queued
                for _, future in [*batch, *self._waiting]:
                    future.cancel()
                self._waiting.clear()
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its caller may have been cancelled
                    future.set_result(result)

    async def drain(self) -> None:
        """Wait until every item submitted so far has run (a failed run included)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.wait({self._runner})
