"""Fair use: a per-person limit on questions (``/ask``, mentions, DMs), without Discord.

:class:`QuestionLimit` is a sliding window: a person may ask :data:`QUESTIONS` questions within any
:data:`WINDOW` seconds. A question over the limit is refused and does not count; the first refusal
of a blocked spell says so (:attr:`Verdict.NOTICE`: one short notice), the rest are
:attr:`Verdict.SILENT`, until the oldest counted question leaves the window. Each person has their
own window: nobody else is slowed.

The state is in memory, per process (a restart or another shard starts afresh): enough to stop
one person from flooding a channel or the answering engine. The clock is injectable
(``time.monotonic`` by default) so tests need no sleeping.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable

__all__ = ["QUESTIONS", "WINDOW", "QuestionLimit", "Verdict"]

#: At most this many questions per person ...
QUESTIONS = 6
#: ... within any this many seconds.
WINDOW = 60.0
#: People tracked before idle ones are swept out (bounds memory; a sweep is cheap).
SWEEP_AT = 10_000


class Verdict(enum.Enum):
    ANSWER = "answer"  # counted: answer it
    NOTICE = "notice"  # refused: say once that the limit is reached
    SILENT = "silent"  # refused again in the same spell: say nothing more


class QuestionLimit:
    def __init__(
        self,
        questions: int = QUESTIONS,
        window: float = WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if questions < 1 or window <= 0:
            raise ValueError("questions must be at least 1 and window positive")
        self.questions = questions
        self.window = window
        self.clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._noticed: dict[int, float] = {}  # person -> the end of the spell they were told of

    def check(self, user_id: int) -> Verdict:
        """Count a question by ``user_id`` if the window allows it; say what to do with it."""
        now = self.clock()
        asked = self._asked.get(user_id)
        if asked is None:
            if len(self._asked) >= SWEEP_AT:
                self._sweep(now)
            asked = self._asked[user_id] = deque()
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) < self.questions:
            asked.append(now)
            self._noticed.pop(user_id, None)
            return Verdict.ANSWER
        free_at = asked[0] + self.window
        if self._noticed.get(user_id) == free_at:
            return Verdict.SILENT
        self._noticed[user_id] = free_at
        return Verdict.NOTICE

    def retry_after(self, user_id: int) -> float:
        """Seconds until ``user_id`` may ask again (0: now)."""
        asked = self._asked.get(user_id)
        if not asked or len(asked) < self.questions:
            return 0.0
        return max(0.0, asked[0] + self.window - self.clock())

    def _sweep(self, now: float) -> None:
        idle = [u for u, q in self._asked.items() if not q or q[-1] <= now - self.window]
        for user_id in idle:
            self._asked.pop(user_id, None)
            self._noticed.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._asked)
