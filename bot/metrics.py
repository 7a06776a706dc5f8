"""Optional Prometheus metrics: ``WALKWELL_METRICS_PORT`` turns on a ``/metrics`` endpoint.

Off by default. Every recording function here is a safe no-op until :func:`start` has run, so the
cogs and the reminder sender call them unconditionally::

    from bot import metrics
    metrics.interaction("ask")              # counted by the runner for every interaction already
    metrics.answer(result.kind)             # "answer" | "none" | "urgent"
    metrics.reminder(outcome.status)        # a SendOutcome's status ("ok" is counted as "sent")
    metrics.rate_limited(scope="global")    # a 429 seen outside discord.py's HTTP client
    metrics.sweep(seconds)                  # one reminder sweep's duration

429s that go through discord.py's HTTP client (it sleeps and retries, or raises ``RateLimited``)
are counted by :func:`start` from discord.py's "responded with 429" log records: do not count
those again with :func:`rate_limited`.

Metric names (all prefixed ``walkwell_``): ``interactions_total{command,type}``,
``answers_total{kind}``, ``reminders_total{outcome}`` (``outcome="sent"`` or a failure status),
``rate_limited_total{scope}``, ``sweep_seconds`` (a histogram).

This module does not import discord.py; ``prometheus_client`` is imported by :func:`start` only.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)

#: Sweep durations: a sweep normally takes milliseconds, a big catch-up up to minutes.
SWEEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
#: The labels a free-form value may take are bounded: anything else is counted as "other".
_NAME = re.compile(r"^[a-z0-9_-]{1,32}( [a-z0-9_-]{1,32}){0,2}$")
ANSWER_KINDS = frozenset({"answer", "none", "urgent"})
INTERACTION_TYPES = {
    1: "ping",
    2: "application_command",
    3: "component",
    4: "autocomplete",
    5: "modal_submit",
}


def _label(value: object) -> str:
    text = str(value).strip().lower()
    return text if _NAME.match(text) else "other"


class Metrics:
    """The live metrics of one process, in their own registry (tests make as many as they like)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.interactions = Counter(
            "walkwell_interactions",
            "Interactions received, by command and interaction type",
            ["command", "type"],
            registry=r,
        )
        self.answers = Counter(
            "walkwell_answers", "Questions answered, by answer kind", ["kind"], registry=r
        )
        self.reminders = Counter(
            "walkwell_reminders",
            'Reminder sends by outcome: "sent", or the failure status',
            ["outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "walkwell_rate_limited",
            "HTTP 429 answers from Discord, by scope",
            ["scope"],
            registry=r,
        )
        self.sweep = Histogram(
            "walkwell_sweep_seconds",
            "Duration of one reminder sweep",
            buckets=SWEEP_BUCKETS,
            registry=r,
        )
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def serve(self, port: int, host: str = "0.0.0.0") -> int:
        """Serve ``/metrics`` from a daemon thread; returns the bound port (``port=0``: any)."""
        from prometheus_client import start_http_server

        self.server, self.thread = start_http_server(port, addr=host, registry=self.registry)
        return int(self.server.server_address[1])

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.thread is not None:
            self.thread.join(timeout=5)
            self.thread = None


class _DiscordRateLimitLog(logging.Filter):
    """Counts the 429s discord.py handles itself, from its ``discord.http`` warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and isinstance(record.msg, str):
            if "responded with 429" in record.msg:
                rate_limited("route")
            elif record.msg.startswith("Global rate limit has been hit"):
                rate_limited("global")
        return True  # counting only: the record is logged as usual


_active: Metrics | None = None
_log_filter = _DiscordRateLimitLog()


def active() -> Metrics | None:
    """The running metrics, or None when they are off."""
    return _active


def start(port: int, host: str = "0.0.0.0") -> Metrics:
    """Turn metrics on for this process and serve them on ``host:port``; returns them."""
    global _active
    if _active is not None:
        raise RuntimeError("metrics are already started")
    metrics = Metrics()
    bound = metrics.serve(port, host)
    _active = metrics
    logging.getLogger("discord.http").addFilter(_log_filter)
    log.info("metrics: serving /metrics on %s:%d", host, bound)
    return metrics


def stop() -> None:
    """Turn metrics off again (the recording functions become no-ops) and stop the server."""
    global _active
    metrics, _active = _active, None
    logging.getLogger("discord.http").removeFilter(_log_filter)
    if metrics is not None:
        metrics.close()


# --- what the bot calls: each a no-op while metrics are off -----------------------------------


def interaction(command: str | None, kind: str = "application_command") -> None:
    """One interaction received: ``command`` is the full command name ("reminders start"),
    ``kind`` the interaction type ("application_command", "autocomplete", "component", ...)."""
    if _active is not None:
        _active.interactions.labels(command=_label(command or "none"), type=_label(kind)).inc()


def interaction_from_payload(data: dict[str, Any] | None, type_value: int) -> None:
    """One interaction from its raw ``type`` and ``data`` (what discord.py's Interaction holds)."""
    if _active is None:
        return
    kind = INTERACTION_TYPES.get(int(type_value), "other")
    name: str | None = None
    if data and kind in ("application_command", "autocomplete"):
        parts = [str(data.get("name", ""))]
        options = data.get("options") or []
        # subcommand (type 1) and subcommand group (type 2) options extend the name
        while options and isinstance(options[0], dict) and options[0].get("type") in (1, 2):
            parts.append(str(options[0].get("name", "")))
            options = options[0].get("options") or []
        name = " ".join(p for p in parts if p)
    interaction(name, kind)


def answer(kind: str) -> None:
    """One question answered; ``kind`` is the answer's kind ("answer", "none", "urgent")."""
    if _active is not None:
        _active.answers.labels(kind=kind if kind in ANSWER_KINDS else "other").inc()


def reminder(outcome: str) -> None:
    """One reminder send finished with ``outcome``: a SendOutcome's status ("ok" counts as "sent")."""
    if _active is not None:
        label = "sent" if outcome in ("ok", "sent") else _label(outcome)
        _active.reminders.labels(outcome=label).inc()


def rate_limited(scope: str = "route") -> None:
    """One HTTP 429 from Discord (``scope``: "global", "route", "shared", or "user")."""
    if _active is not None:
        _active.rate_limited.labels(scope=_label(scope)).inc()


def sweep(seconds: float) -> None:
    """One reminder sweep took ``seconds``."""
    if _active is not None:
        _active.sweep.observe(max(0.0, float(seconds)))
