"""Logging for the bot process: one stderr handler whose formatter can never print a secret.

discord.py itself never logs the token; the redacting formatters are the second lock, covering
messages, arguments and tracebacks alike. The database password (from ``DATABASE_URL``, see
:func:`url_secrets`) is redacted the same way; SQLAlchemy engines are created with
``hide_parameters=True`` so a database error never prints the values of a statement (walk notes,
pain, questions). What people type never reaches a log either: :class:`PayloadFilter` cuts the
payloads out of discord.py's debug lines (every gateway event, with message content and what is
typed into autocomplete; every HTTP request body and response), and WalkWell's own handlers log
ids and kinds, never the text.

Two formats (``WALKWELL_LOG_FORMAT``):

- ``text`` (default): ``TIME LEVEL LOGGER: MESSAGE``, for people;
- ``json``: one JSON object per line for log collectors: ``ts`` (ISO 8601, UTC), ``level``,
  ``logger``, ``message``, ``exc`` (the traceback, when there is one), and every ``extra=`` field
  a caller gave (``log.info("sent", extra={"user_id": 1})``).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
FORMATS = ("text", "json")

#: The attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def url_secrets(url: str | None) -> list[str]:
    """The password of a database URL, in every form it may be printed in (as written,
    percent-decoded, percent-encoded); empty without one."""
    if not url:
        return []
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    if not password:
        return []
    forms = {password, unquote(password), quote(unquote(password), safe="")}
    return sorted(f for f in forms if f)


class _Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


HIDDEN = "[payload hidden]"


class PayloadFilter(logging.Filter):
    """Rewrites discord.py's debug records that carry a payload so they carry only its kind.

    Gateway events keep their op code and event name; HTTP lines keep the method, URL and status.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name == "discord.gateway" and "WebSocket Event" in str(record.msg) and args:
            event = args[-1]
            op, kind = (
                (event.get("op"), event.get("t")) if isinstance(event, dict) else (None, None)
            )
            record.msg = "For Shard ID %s: WebSocket Event: op=%s t=%s"
            record.args = (args[0], op, kind)
        elif record.name == "discord.http" and record.msg in _HTTP_PAYLOADS and args:
            position = _HTTP_PAYLOADS[str(record.msg)]
            record.args = tuple(HIDDEN if i == position else a for i, a in enumerate(args))
        return True


#: discord.py's HTTP debug lines with a payload, and the position of the payload argument.
_HTTP_PAYLOADS = {"%s %s with %s has returned %s": 2, "%s %s has received %s": 2}


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces every given secret in the finished line (traceback included)."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._redactor = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, every string in it redacted (then the whole line, again)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redactor = _Redactor(secrets)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redactor.redact(value)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self._value(v) for k, v in value.items()}
        return self._redactor.redact(str(value))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in entry:
                entry[key] = value
        line = json.dumps({k: self._value(v) for k, v in entry.items()}, ensure_ascii=False)
        return self._redactor.redact(line)


def make_formatter(fmt: str = "text", secrets: Iterable[str] = ()) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(secrets)
    if fmt == "text":
        return RedactingFormatter(secrets)
    raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")


def setup_logging(
    level: str = "INFO", secrets: Iterable[str] = (), fmt: str = "text"
) -> logging.Handler:
    """Route every log record to stderr through a redacting formatter; returns the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(fmt, secrets))
    handler.addFilter(PayloadFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
