"""The usual people of a test, so each test module does not build them again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import FakeChannel, FakeGuild, FakeRole, FakeUser

if TYPE_CHECKING:
    from .server import FakeDiscord


@dataclass
class Cast:
    """A guild with #general; alice (in the mentionable role @walkers) and bob are members."""

    guild: FakeGuild
    general: FakeChannel
    alice: FakeUser
    bob: FakeUser
    walkers: FakeRole

    @classmethod
    def join(cls, fake: FakeDiscord, guild_name: str) -> Cast:
        guild = fake.add_guild(guild_name)
        general = fake.add_text_channel(guild, "general")
        alice = fake.add_user("alice")
        bob = fake.add_user("bob")
        walkers = fake.add_role(guild, "walkers", mentionable=True)
        fake.add_member(guild, alice, roles=[walkers])
        fake.add_member(guild, bob)
        return cls(guild, general, alice, bob, walkers)
