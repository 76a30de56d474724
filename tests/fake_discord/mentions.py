"""Who a message really pings, as Discord decides it from the content and ``allowed_mentions``.

A message's ``mentions``/``mention_roles``/``mention_everyone`` list only what pinged: a mention in the
content that ``allowed_mentions`` does not allow stays plain text. A role pings only when it is
mentionable or the author may Mention Everyone; ``@everyone``/``@here`` need that permission too.
Embeds never ping.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

_USER = re.compile(r"<@!?(\d{1,20})>")
_ROLE = re.compile(r"<@&(\d{1,20})>")
_EVERYONE = re.compile(r"@(everyone|here)\b")


def effective_mentions(content: str, allowed: JSON | None, *, roles: dict[int, JSON],
                       may_mention_everyone: bool) -> tuple[bool, list[int], list[int]]:
    """(mention_everyone, user ids, role ids) that this content pings."""
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[int] = set()
        allowed_roles: set[int] = set()
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in allowed.get("users") or []}
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
    everyone = bool(_EVERYONE.search(content)) and "everyone" in parse and may_mention_everyone
    users = [int(u) for u in dict.fromkeys(_USER.findall(content))
             if "users" in parse or int(u) in allowed_users]
    pinged_roles = []
    for raw in dict.fromkeys(_ROLE.findall(content)):
        rid = int(raw)
        if "roles" not in parse and rid not in allowed_roles:
            continue
        role = roles.get(rid)
        if role is not None and (role.get("mentionable") or may_mention_everyone):
            pinged_roles.append(rid)
    return everyone, users, pinged_roles


def check_allowed_mentions(allowed: Any) -> str | None:
    """Discord's own consistency rule: a type can't be both parsed and listed."""
    if allowed is None:
        return None
    if not isinstance(allowed, dict):
        return "allowed_mentions must be an object"
    parse = set(allowed.get("parse") or [])
    if "users" in parse and allowed.get("users"):
        return "parse:[\"users\"] and users are mutually exclusive"
    if "roles" in parse and allowed.get("roles"):
        return "parse:[\"roles\"] and roles are mutually exclusive"
    if len(allowed.get("roles") or []) > 100 or len(allowed.get("users") or []) > 100:
        return "at most 100 users and 100 roles"
    return None
