"""The fake's records: channels, guilds and the REST calls it saw."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from .constants import THREAD_TYPES

JSON = dict[str, Any]


def iso(ts: float | None = None) -> str:
    """ISO-8601 timestamp the way Discord formats them (UTC, +00:00)."""
    when = dt.datetime.fromtimestamp(time.time() if ts is None else ts, dt.UTC)
    return when.isoformat()


@dataclass
class Channel:
    """A guild channel (text 0, announcement 5, forum 15) or thread; ``deleted`` ones answer 10003.

    ``allow``/``deny`` are the bot's permission overwrite in this channel; ``can_send=False`` is a
    shorthand denying Send Messages and Send Messages in Threads.
    """

    id: int
    guild_id: int | None
    name: str
    type: int = 0
    can_send: bool = True
    deleted: bool = False
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    #: permission overwrites besides the bot's can_send one (see ``make_private``)
    overwrites: list[JSON] = field(default_factory=list)
    allow: int = 0  # the bot's own overwrite (see ``set_bot_permissions``)
    deny: int = 0
    tags: list[JSON] = field(default_factory=list)  # forum tags: {"id", "name"}
    applied_tags: list[str] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channel_ids: list[int] = field(default_factory=list)
    #: roles besides @everyone (see ``add_role``)
    roles: list[JSON] = field(default_factory=list)


@dataclass
class RecordedRequest:
    """One REST call as the fake saw it (path is relative to ``/api/v10``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    time: float
    token: str | None
    status: int = 0
    route: str | None = None  # the matched route template, None if unknown
