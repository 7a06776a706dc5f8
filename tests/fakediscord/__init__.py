"""A fake Discord (gateway + REST on 127.0.0.1) that real discord.py 2.7 talks to.

See :class:`tests.fakediscord.server.FakeDiscord` for the test-facing API.
"""

from .interactions import FakeInteraction, InteractionResponse
from .models import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Pings,
    compute_pings,
)
from .rest import ApiError, RecordedRequest
from .server import DEFAULT_BOT_PERMISSIONS, FakeDiscord

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "ApiError",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "InteractionResponse",
    "Pings",
    "RecordedRequest",
    "compute_pings",
]
