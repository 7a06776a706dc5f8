"""Discord-style rate limiting: per-route buckets (by major parameter) and a global limit.

Every rate-limited response carries ``X-RateLimit-Limit / Remaining / Reset / Reset-After /
Bucket``; a 429 carries ``Via`` (or discord.py takes it for a Cloudflare ban), ``Retry-After``,
``X-RateLimit-Scope`` and the JSON ``{"message", "retry_after", "global"}``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

MAJOR_PARAMETERS = (
    "channel_id",
    "guild_id",
    "webhook_id",
    "webhook_token",
    "interaction_id",
    "interaction_token",
)


@dataclass
class _Window:
    limit: int
    per: float
    started: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        if now >= self.started + self.per:
            self.started = now
            self.used = 0

    def reset_after(self, now: float) -> float:
        return max(0.0, self.started + self.per - now)


@dataclass
class RateDecision:
    headers: dict[str, str]
    #: None: go ahead; else (retry_after, is_global, scope)
    limited: tuple[float, bool, str] | None = None


@dataclass
class RateLimiter:
    """Fixed-window limits. ``route_limits`` maps ``"METHOD /template"`` to ``(limit, per_seconds)``."""

    default_limit: tuple[int, float] = (50, 1.0)
    global_rate: int | None = 50
    route_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    clock: object = time.monotonic
    _buckets: dict[tuple[str, tuple[str, ...]], _Window] = field(default_factory=dict)
    _global: _Window | None = None
    sent_429: int = 0
    sent_global_429: int = 0

    def limit_route(self, method: str, template: str, limit: int, per: float) -> None:
        self.route_limits[f"{method.upper()} {template}"] = (limit, per)
        for key in [k for k in self._buckets if k[0] == f"{method.upper()} {template}"]:
            del self._buckets[key]

    @staticmethod
    def bucket_hash(route_key: str) -> str:
        return hashlib.sha1(route_key.encode()).hexdigest()[:16]

    def _now(self) -> float:
        return self.clock()  # type: ignore[operator,no-any-return]

    def check(
        self,
        method: str,
        template: str,
        params: dict[str, str],
        *,
        global_exempt: bool,
    ) -> RateDecision:
        now = self._now()
        route_key = f"{method.upper()} {template}"
        major = tuple(params.get(k, "") for k in MAJOR_PARAMETERS if k in params)
        limit, per = self.route_limits.get(route_key, self.default_limit)
        window = self._buckets.get((route_key, major))
        if window is None or window.limit != limit or window.per != per:
            window = _Window(limit=limit, per=per, started=now)
            self._buckets[(route_key, major)] = window
        window.roll(now)

        if not global_exempt and self.global_rate is not None:
            g = self._global
            if g is None or g.limit != self.global_rate:
                g = self._global = _Window(limit=self.global_rate, per=1.0, started=now)
            g.roll(now)
            if g.used >= g.limit:
                self.sent_429 += 1
                self.sent_global_429 += 1
                retry = max(g.reset_after(now), 0.001)
                return RateDecision(
                    headers={"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
                    limited=(retry, True, "global"),
                )
            g.used += 1

        reset_after = window.reset_after(now)
        if window.used >= window.limit:
            self.sent_429 += 1
            retry = max(reset_after, 0.001)
            headers = self._headers(route_key, window, 0, retry)
            headers["X-RateLimit-Scope"] = "user"
            return RateDecision(headers=headers, limited=(retry, False, "user"))
        window.used += 1
        return RateDecision(
            headers=self._headers(route_key, window, window.limit - window.used, reset_after)
        )

    def _headers(
        self, route_key: str, window: _Window, remaining: int, reset_after: float
    ) -> dict[str, str]:
        reset_after = math.ceil(reset_after * 1000) / 1000
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash(route_key),
        }
