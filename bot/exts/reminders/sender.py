"""The bot's half of reminder delivery: :class:`DiscordSender` implements ``schedules.reminders.delivery.Sender``.

The engine decides who is due and records what was delivered; this module only turns one
:class:`~schedules.reminders.delivery.Outgoing` into one Discord request and Discord's answer into a
:class:`~schedules.reminders.delivery.SendOutcome`. It never raises.

- A DM goes to the cached DM channel (one request); without one, the DM is opened first and its id
  reported back so the next reminder costs one request.
- A channel reminder mentions only its user: the message's allowed mentions name that one user,
  whatever the text holds.
- Every send carries the engine's nonce; discord.py sets ``enforce_nonce`` with it, so a retried
  send of the same reminder returns the first message instead of posting a second one.
- discord.py's own 429 retries are capped (``max_ratelimit_timeout`` on the client, set by
  :func:`bot.ratelimits.cap_ratelimit_wait`): a long wait comes back as ``rate_limited`` and the
  engine reschedules instead of holding a worker; a global one (seen on the wire by the client's
  :class:`~bot.ratelimits.GlobalLimitWatch`) is reported as global, so the engine pauses its
  whole send budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot import metrics
from schedules.reminders.delivery import Outgoing, SendOutcome

if TYPE_CHECKING:
    from bot.ui.render import Reply

log = logging.getLogger(__name__)

Builder = Callable[[Outgoing], "Reply"]


def user_only(user_id: int) -> discord.AllowedMentions:
    """Allowed mentions that can ping this one user and nobody else."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(id=user_id)], replied_user=False
    )


class DiscordSender:
    """Sends reminders and nudges for the engine. ``build`` renders an item as a Reply."""

    def __init__(self, client: discord.Client, build: Builder) -> None:
        self.client = client
        self.build = build

    async def send(self, item: Outgoing) -> SendOutcome:
        outcome = await self._outcome(item)
        metrics.reminder(outcome.status)
        return outcome

    def _global(self) -> bool:
        watch = getattr(self.client, "global_limit", None)
        return bool(watch is not None and watch.active())

    async def _outcome(self, item: Outgoing) -> SendOutcome:
        try:
            return await self._send(item)
        except discord.RateLimited as exc:
            return SendOutcome.rate_limited(exc.retry_after, is_global=self._global())
        except discord.Forbidden as exc:
            if item.where == "dm":  # 50007: the user closed their DMs, or shares no server
                return SendOutcome.blocked_dm()
            return SendOutcome.channel_unavailable(f"403 {exc.code}")
        except discord.NotFound as exc:
            # A deleted channel (or a stale cached DM channel): the engine falls back or forgets.
            return SendOutcome.channel_unavailable(f"404 {exc.code}")
        except discord.HTTPException as exc:
            if exc.status == 429:
                retry = float(getattr(exc.response, "headers", {}).get("Retry-After", 1) or 1)
                return SendOutcome.rate_limited(retry, is_global=self._global())
            return SendOutcome.error(f"HTTP {exc.status} {exc.code}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendOutcome.error(type(exc).__name__)
        except Exception as exc:  # a rendering bug must not stop the sweep
            log.exception("could not send a %s to user %s", item.kind, item.user_id)
            return SendOutcome.error(f"{type(exc).__name__}")

    async def _send(self, item: Outgoing) -> SendOutcome:
        reply = self.build(item)
        opened: int | None = None
        channel: Any
        if item.where == "dm":
            if item.dm_channel_id is not None:
                channel = self.client.get_partial_messageable(
                    item.dm_channel_id, type=discord.ChannelType.private
                )
            else:
                channel = await self.client.create_dm(discord.Object(id=item.user_id))
                opened = channel.id
            mentions = discord.AllowedMentions.none()
        else:
            if item.channel_id is None:
                return SendOutcome.channel_unavailable("no channel")
            channel = self.client.get_partial_messageable(
                item.channel_id, guild_id=item.guild_id, type=discord.ChannelType.text
            )
            mentions = user_only(item.user_id)
        message = await channel.send(nonce=item.nonce, allowed_mentions=mentions, **reply.kwargs())
        return SendOutcome.ok(message.id, dm_channel_id=opened)
