"""A fake Discord (gateway + REST on 127.0.0.1) that real discord.py 2.7 talks to.

::

    async with FakeDiscord() as fake:                      # 127.0.0.1, a free port
        guild = fake.add_guild("Walkers")
        general = fake.add_text_channel(guild, "general")
        alice = fake.add_user("alice"); fake.add_member(guild, alice)
        # a bot process: DISCORD_TOKEN / DISCORD_API_BASE / DISCORD_GATEWAY_URL = fake.bot_env()
        async with running_bot(fake, tmp_path):           # tests/e2e/harness.py
            ix = await fake.slash(alice, "ask", {"question": "how fast?"}, channel=general)
            resp = await ix.response()                     # .type .ephemeral .content .embeds …
            msg = await ix.final()                         # waits out a defer
            await fake.click(alice, msg, "ww:unit:cadence")
            choices = await fake.autocomplete(alice, "guide", {"topic": "cad"}, focused="topic")
            m = await fake.user_message(alice, general, "hi <@BOT>")
            reply = await fake.wait_for_bot_message(general, after=m)
            await fake.drop_gateway()                      # the bot must RESUME
        fake.assert_clean()   # no unknown routes, refused payloads, late callbacks, mass pings

What it checks like Discord does: message/embed/component/command limits (400 / 50035), the
3-second interaction deadline (404 / 10062), double acknowledgements (400 / 40060), rate limits
(429 with Via, per-route buckets and a global limit), blocked DMs (403 / 50007), missing
permissions (403 / 50013), deleted channels (404 / 10003), privileged intents (close 4014), and
the MESSAGE_CONTENT rule (content only for mentions, DMs and the bot's own messages).
See :class:`tests.fakediscord.server.FakeDiscord` for the whole API.
"""

from .api import ApiError, RecordedRequest
from .interactions import FakeInteraction, InteractionResponse
from .models import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .pings import Pings, compute_pings
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
