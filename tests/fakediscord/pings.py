"""Who a message would ping: Discord's allowed_mentions rules applied to its content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: ``<@id>`` / ``<@!id>``: a user mention (also how a test's text mentions users).
USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
_ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")
_EVERYONE = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class Pings:
    """Who a message would notify, given its content and allowed_mentions (Discord's rules)."""

    everyone: bool
    roles: frozenset[int]
    users: frozenset[int]

    @property
    def any_mass_ping(self) -> bool:
        return self.everyone or bool(self.roles)


def compute_pings(
    content: str,
    allowed_mentions: dict[str, Any] | None,
    *,
    replied_user_id: int | None = None,
) -> Pings:
    """Apply Discord's allowed_mentions rules to ``content``.

    No ``allowed_mentions`` field means Discord parses every mention in the content (and a reply
    pings its author). A given object pings only what ``parse`` / ``users`` / ``roles`` /
    ``replied_user`` allow. The author's MENTION_EVERYONE permission is deliberately ignored: this
    reports what the message *asks* Discord to ping.
    """
    users = {int(u) for u in USER_MENTION.findall(content)}
    roles = {int(r) for r in _ROLE_MENTION.findall(content)}
    everyone = bool(_EVERYONE.search(content))
    if allowed_mentions is None:
        pinged_users = set(users)
        if replied_user_id is not None:
            pinged_users.add(replied_user_id)
        return Pings(everyone, frozenset(roles), frozenset(pinged_users))
    parse = set(allowed_mentions.get("parse") or [])
    allow_users = {int(u) for u in allowed_mentions.get("users") or []}
    allow_roles = {int(r) for r in allowed_mentions.get("roles") or []}
    pinged_users = users if "users" in parse else users & allow_users
    pinged_roles = roles if "roles" in parse else roles & allow_roles
    if replied_user_id is not None and allowed_mentions.get("replied_user", False):
        pinged_users = pinged_users | {replied_user_id}
    return Pings(everyone and "everyone" in parse, frozenset(pinged_roles), frozenset(pinged_users))
