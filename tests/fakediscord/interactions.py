"""Interactions the fake sends, and what the bot answered to each."""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import FLAG_EPHEMERAL, FakeAttachment, FakeChannel, FakeGuild, FakeMessage, FakeUser

if TYPE_CHECKING:
    from .server import FakeDiscord

#: How an interaction token starts (base64 of "interaction").
TOKEN_PREFIX = "aW50ZXJhY3Rpb24"

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback (response) types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
    10: "PREMIUM_REQUIRED",
    12: "LAUNCH_ACTIVITY",
}


@dataclass(eq=False)
class InteractionResponse:
    """One accepted ``POST /interactions/{id}/{token}/callback``."""

    type: int
    data: dict[str, Any]
    latency: float
    files: list[FakeAttachment] = field(default_factory=list)
    #: the message the callback created (4, 5) or updated (7); for 6 the component's message
    message: FakeMessage | None = None

    @property
    def type_name(self) -> str:
        return CALLBACK_NAMES.get(self.type, str(self.type))

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.data.get("components") or [])

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.data.get("allowed_mentions")

    @property
    def attachments(self) -> list[FakeAttachment]:
        return self.message.attachments if self.message is not None else list(self.files)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices (type 8)."""
        return list(self.data.get("choices") or [])

    @property
    def modal_custom_id(self) -> str | None:
        return self.data.get("custom_id") if self.type == MODAL else None

    def text(self) -> str:
        if self.message is not None:
            return self.message.text()
        return self.content

    def __repr__(self) -> str:
        eph = " ephemeral" if self.ephemeral else ""
        return f"<InteractionResponse {self.type_name}{eph} {self.latency * 1000:.1f}ms {self.text()[:60]!r}>"


@dataclass(eq=False, repr=False)
class FakeInteraction:
    """An interaction the fake dispatched (INTERACTION_CREATE) and the bot's answers to it."""

    fake: FakeDiscord
    type: int
    user: FakeUser
    channel: FakeChannel
    data: dict[str, Any]
    command_name: str | None = None
    #: the message a component or a modal submit came from
    message: FakeMessage | None = None
    id: int = field(init=False)
    token: str = field(init=False, default_factory=lambda: TOKEN_PREFIX + secrets.token_urlsafe(48))
    payload: dict[str, Any] = field(default_factory=dict)
    dispatched_at: float = field(default_factory=time.monotonic)
    responses: list[InteractionResponse] = field(default_factory=list)
    #: callbacks the fake refused: (status, code, body)
    rejected: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    deleted_original: bool = False

    def __post_init__(self) -> None:
        self.id = self.fake.ids.next()

    @property
    def guild(self) -> FakeGuild | None:
        return self.channel.guild

    @property
    def responded(self) -> bool:
        return bool(self.responses)

    @property
    def late(self) -> bool:
        return any(code == 10062 for _, code, _ in self.rejected)

    def integration_owners(self) -> dict[str, str]:
        if self.guild is not None:
            return {"0": str(self.guild.id)}
        return {"1": str(self.user.id)}

    @property
    def messages(self) -> list[FakeMessage]:
        out = [self.original] if self.original is not None else []
        out.extend(m for m in self.followups if m is not self.original)
        return out

    async def response(self, timeout: float = 3.0) -> InteractionResponse:
        """The first accepted callback; fails if none arrives within ``timeout`` seconds.

        A refused callback (e.g. 400 / 50035) does not end the wait, since the bot may still answer
        correctly; an expired token (10062) does. Refusals are in :attr:`rejected`.
        """
        try:
            await self.fake.wait_until(
                lambda: self.responses or self.late,
                timeout=timeout,
                what=f"a callback for interaction {self.describe()}",
            )
        except AssertionError as exc:
            if self.rejected:
                raise AssertionError(f"{exc}; refused callbacks: {self.rejected}") from None
            raise
        if not self.responses:
            raise AssertionError(
                f"the callback for {self.describe()} came too late: {self.rejected}"
            )
        return self.responses[0]

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        await self.fake.wait_until(
            lambda: len(self.followups) > index,
            timeout=timeout,
            what=f"follow-up #{index} of {self.describe()}",
        )
        return self.followups[index]

    async def final(self, timeout: float = 5.0) -> FakeMessage:
        """The message the user ends up seeing: the original once it is no longer "thinking"."""
        await self.response(timeout=timeout)

        def done() -> FakeMessage | None:
            msg = self.original
            if msg is not None and not msg.loading:
                return msg
            return None

        result = await self.fake.wait_until(
            done, timeout=timeout, what=f"the final message of {self.describe()}"
        )
        assert result is not None
        return result

    def describe(self) -> str:
        kind = {2: "/", 3: "component ", 4: "autocomplete /", 5: "modal "}.get(self.type, "?")
        name = self.command_name or self.data.get("custom_id") or ""
        return f"{kind}{name} (id {self.id}) by {self.user.username}"

    def __repr__(self) -> str:
        return f"<FakeInteraction {self.describe()} responses={len(self.responses)}>"
