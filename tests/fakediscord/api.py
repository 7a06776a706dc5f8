"""The REST API's building blocks: Discord's error bodies, JSON responses, request records,
request payloads (JSON or multipart) and the PATCH semantics of a message edit.

Responses are built by hand with ``Content-Type: application/json`` exactly (discord.py parses a
body as JSON only then). Errors use Discord's ``{"code", "message"[, "errors"]}`` bodies.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from .models import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FakeAttachment,
    FakeMessage,
    now,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
JSON = "application/json"

# Flags a sender may set on a new message.
SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)


class ApiError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def invalid_form(violations: list[limits.Violation]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", limits.errors_payload(violations))


def invalid_field(path: str, code: str, message: str) -> ApiError:
    """400 / 50035 for one field."""
    return invalid_form([limits.Violation(path, code, message)])


def refuse(violations: list[limits.Violation]) -> None:
    """400 / 50035 when a payload broke any of Discord's limits."""
    if violations:
        raise invalid_form(violations)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    resp = web.Response(body=body, status=status)
    resp.headers["Content-Type"] = JSON
    if headers:
        resp.headers.update(headers)
    return resp


def no_content() -> web.Response:
    return web.Response(status=204)


@dataclass
class UploadedFile:
    index: int
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class RecordedRequest:
    method: str
    path: str
    template: str | None
    query: dict[str, str]
    authorized: bool
    at: float
    status: int = 0
    body: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    error: dict[str, Any] | None = None
    #: the X-RateLimit-Remaining header sent back (None: no bucket headers)
    ratelimit_remaining: int | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


RECORD: web.RequestKey[RecordedRequest] = web.RequestKey("record", RecordedRequest)


@dataclass
class FailureRule:
    """An injected failure: the next ``count`` matching requests get this answer."""

    method: str
    template: str
    status: int
    count: int
    code: int = 0
    message: str = ""
    retry_after: float = 0.05
    is_global: bool = False
    via: bool = True
    hits: int = 0


class Routes:
    """A group of REST handlers; :class:`~tests.fakediscord.rest.RestApi` is made of them."""

    fake: FakeDiscord

    async def patch_message(self, request: web.Request, msg: FakeMessage) -> web.Response:
        """Edit ``msg`` with the request's payload (Discord's PATCH rules) and answer with it."""
        payload, files = await read_message(request, edit=True)
        self.fake._edit_message(msg, payload, files)
        return json_response(msg.payload())


async def read_payload(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or multipart/form-data with ``payload_json`` and ``files[n]``."""
    ctype = request.headers.get("Content-Type", "")
    if ctype.startswith("multipart/form-data"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            name = getattr(part, "name", None) or ""
            raw = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                payload = json.loads(bytes(raw).decode())
            elif name.startswith("files[") and name.endswith("]"):
                index = int(name[6:-1])
                files.append(
                    UploadedFile(
                        index=index,
                        filename=getattr(part, "filename", None) or f"file{index}",
                        data=bytes(raw),
                        content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                    )
                )
            elif name.startswith("file"):
                files.append(
                    UploadedFile(
                        index=len(files),
                        filename=getattr(part, "filename", None) or name,
                        data=bytes(raw),
                        content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                    )
                )
        return payload if payload is not None else {}, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw.decode()), []
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


async def read_recorded(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """The request's payload and files, kept on its :class:`RecordedRequest` as they came."""
    payload, files = await read_payload(request)
    rec = request[RECORD]
    rec.body, rec.files = payload, files
    return payload, files


def check_message(
    payload: dict[str, Any], files: list[UploadedFile], *, edit: bool = False, under: str = ""
) -> None:
    """400 / 50035 for a message payload over Discord's limits (paths prefixed with ``under``)."""
    violations = limits.check_message(payload, has_files=bool(files), edit=edit)
    if under:
        violations = [
            limits.Violation(f"{under}.{v.path}" if v.path else under, v.code, v.message)
            for v in violations
        ]
    refuse(violations)


async def read_message(
    request: web.Request, *, edit: bool = False
) -> tuple[dict[str, Any], list[UploadedFile]]:
    """A recorded message payload (``{}`` when empty), refused when over Discord's limits."""
    payload, files = await read_recorded(request)
    payload = payload or {}
    check_message(payload, files, edit=edit)
    return payload, files


def guess_type(filename: str, given: str | None) -> str | None:
    """The content type of an upload: from its file name, else the one the sender gave."""
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or given


def apply_edit(
    msg: FakeMessage,
    payload: dict[str, Any],
    attachments: list[FakeAttachment],
    new_files: dict[int, FakeAttachment],
) -> None:
    """Discord's PATCH semantics: fields present replace, absent stay; attachments by id."""
    if "content" in payload:
        msg.content = payload["content"] or ""
    if "embeds" in payload:
        msg.embeds = list(payload["embeds"] or [])
    if "components" in payload:
        msg.components = list(payload["components"] or [])
    if "allowed_mentions" in payload:
        msg.allowed_mentions = payload["allowed_mentions"]
    if "flags" in payload and payload["flags"] is not None:
        keep = msg.flags & ~FLAG_SUPPRESS_EMBEDS & ~FLAG_LOADING
        msg.flags = keep | (int(payload["flags"]) & (FLAG_SUPPRESS_EMBEDS | (1 << 15)))
    if "attachments" in payload and payload["attachments"] is not None:
        kept: list[FakeAttachment] = []
        existing = {a.id: a for a in msg.attachments}
        for entry in payload["attachments"]:
            aid = int(entry["id"])
            if aid in existing:
                kept.append(existing[aid])
            elif aid in new_files:
                kept.append(new_files[aid])
        msg.attachments = kept
    else:
        msg.attachments = msg.attachments + list(attachments)
    was_loading = msg.loading
    msg.flags &= ~FLAG_LOADING
    if not was_loading:
        msg.edited_timestamp = now()
    msg.history.append(dict(payload))
