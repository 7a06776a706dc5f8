"""Discord's 429s as the reminder engine needs them: a cap on discord.py's own waiting, and
whether a 429 was the bot-wide (global) one.

discord.py sleeps through every 429 unless the client's HTTP layer has a
``max_ratelimit_timeout``; then a longer Retry-After raises ``discord.RateLimited`` at once, and
the engine reschedules the claim instead of holding a worker (and its lease, and shutdown) for
that long. discord.py's constructor will not take less than 30 s, so :func:`cap_ratelimit_wait`
sets the HTTP client's attribute after construction (it is read when a route's bucket is first
made). ``RateLimited`` does not say whether the limit was global, so :class:`GlobalLimitWatch`
watches the responses (an aiohttp trace, the client's ``http_trace`` option) for
``X-RateLimit-Global`` and remembers until when it holds; the sender then reports the 429 as
global and the engine pauses its whole send budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = ["MAX_RATELIMIT_WAIT", "GlobalLimitWatch", "cap_ratelimit_wait"]

#: Longest 429 wait discord.py sleeps through itself; a longer one comes back to the engine.
MAX_RATELIMIT_WAIT = 5.0


def cap_ratelimit_wait(client: Any, seconds: float = MAX_RATELIMIT_WAIT) -> None:
    """Make ``client`` (a ``discord.Client``) raise ``RateLimited`` for longer waits."""
    client.http.max_ratelimit_timeout = float(seconds)


class GlobalLimitWatch:
    """Remembers the last global 429 seen on the wire, and until when it holds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.until = 0.0
        self.seen = 0
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_end.append(self._on_request_end)

    def observe(self, status: int, headers: Any) -> None:
        """Note one response (its status and headers)."""
        if status != 429:
            return
        is_global = str(headers.get("X-RateLimit-Global", "")).lower() == "true" or (
            str(headers.get("X-RateLimit-Scope", "")).lower() == "global"
        )
        if not is_global:
            return
        try:
            retry_after = float(headers.get("Retry-After") or 1.0)
        except ValueError:
            retry_after = 1.0
        self.seen += 1
        self.until = max(self.until, self.clock() + retry_after)

    def active(self) -> bool:
        """A global limit seen on the wire still holds."""
        return self.clock() < self.until

    async def _on_request_end(self, _session: Any, _ctx: Any, params: Any) -> None:
        response = params.response
        self.observe(response.status, response.headers)
