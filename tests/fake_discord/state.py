"""Shared state of the fake Discord and the JSON payload builders.

Every mixin of :class:`FakeDiscord` derives from :class:`FakeState`, so the
guilds, channels, messages and sessions live in one place and mypy can see
them.  Payloads follow the Discord API v10 shapes that discord.py 2.7 reads;
fields it requires (``flags`` on members, ``position`` on channels, ...) are
always present so parsing never hits a ``KeyError``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from .constants import (
    BOT_ROLE_PERMISSIONS,
    DISCORD_EPOCH_MS,
    FORUM,
    MEMBER_PERMISSIONS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT,
    VIEW_CHANNEL,
)
from .records import Channel, Guild, RecordedRequest, iso

log = logging.getLogger(__name__)

JSON = dict[str, Any]



class FakeState:
    """Everything the REST, gateway and interaction parts share."""

    def __init__(
        self,
        *,
        bot_id: int = 1100000000000000001,
        bot_name: str = "newsbot",
        shard_count: int = 1,
        interaction_deadline: float = 3.0,
        token_lifetime: float = 15 * 60,
        nonce_window: float = 5 * 60,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.bot_id = bot_id
        self.application_id = bot_id
        self.bot_name = bot_name
        self.shard_count = shard_count
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = token_lifetime
        self.nonce_window = nonce_window
        self.heartbeat_interval_ms = heartbeat_interval_ms
        # Seconds between storing a created message and answering: the window in which a crashed client
        # has posted but never learned it, which the nonce must cover.
        self.message_response_delay = 0.0

        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self._messages: dict[int, list[JSON]] = {}
        self._message_index: dict[int, JSON] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}  # (author, nonce) -> (message, when)
        self._deleted_nonces: dict[tuple[int, str], float] = {}
        #: channel webhooks by id ({"id", "channel_id", "name", "token"}) and crossposted message ids.
        self.webhooks: dict[int, JSON] = {}
        self.crossposted: list[int] = []
        #: allowed_mentions sent with each created/edited message, by message id.
        self.allowed_mentions: dict[int, Any] = {}
        #: app commands by guild id (None = global), as Discord stores them.
        self._commands: dict[int | None, list[JSON]] = {}
        self.requests: list[RecordedRequest] = []
        #: requests that matched no route (404/405); tests assert this stays empty.
        self.unexpected_requests: list[RecordedRequest] = []
        self.tokens_seen: set[str] = set()

        self.identify_count = 0
        self.resume_count = 0
        self.heartbeat_count = 0
        self.identify_payloads: list[JSON] = []
        self.connected = asyncio.Event()

        self._snowflakes = itertools.count(1)
        self._changed = asyncio.Event()

    # -- ids, time, change notification -----------------------------------

    def now(self) -> float:
        """Monotonic clock used for all deadlines (override in tests if needed)."""
        return time.monotonic()

    def snowflake(self) -> int:
        """A fresh snowflake whose timestamp part is 'now' (discord.py derives created_at)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._snowflakes) & 0x3FFFFF)

    def notify(self) -> None:
        """Wake every ``wait_until`` so it re-checks its predicate."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` is true; raise TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    def dispatch(
        self, event: str, data: JSON, *, guild_id: int | None = None, intent: int | None = None,
    ) -> int:
        """Send a DISPATCH to the shard owning ``guild_id``; returns how many sessions got it.

        Overridden by the gateway.  ``intent`` skips sessions that did not ask for it.
        """
        raise NotImplementedError

    # -- world setup ---------------------------------------------------------

    def add_guild(self, guild_id: int, name: str | None = None, *, owner_id: int = 1) -> Guild:
        """Create a guild the bot is in; sends GUILD_CREATE if the bot is already connected."""
        guild = self.guilds.get(guild_id)
        if guild is None:
            guild = self.guilds[guild_id] = Guild(guild_id, name or f"guild-{guild_id}", owner_id)
            if self.connected.is_set():
                self.dispatch("GUILD_CREATE", self.guild_payload(guild), guild_id=guild_id)
        return guild

    def add_channel(
        self, guild_id: int, channel_id: int, name: str | None = None, *, can_send: bool = True,
        topic: str | None = None, type: int = TEXT, tags: list[str] | None = None,
    ) -> Channel:
        """Create a text channel (or ``type=5`` announcement, ``type=15`` forum with ``tags``);
        ``can_send=False`` makes sends answer 403 50013."""
        guild = self.add_guild(guild_id)
        channel = Channel(channel_id, guild_id, name or f"channel-{channel_id}", can_send=can_send,
                          position=len(guild.channel_ids), topic=topic, type=type,
                          tags=[{"id": str(self.snowflake()), "name": t, "moderated": False, "emoji_id": None,
                                 "emoji_name": None} for t in tags or []])
        self.channels[channel_id] = channel
        guild.channel_ids.append(channel_id)
        if self.connected.is_set():
            self.dispatch("CHANNEL_CREATE", self.channel_payload(channel), guild_id=guild_id)
        return channel

    def add_role(self, guild_id: int, role_id: int, name: str | None = None, *, permissions: int = 0,
                 mentionable: bool = False) -> JSON:
        """A guild role; give it to an invoking member with ``invoke(..., roles=[role_id])``; a message pings
        it only when it is ``mentionable`` or the author may Mention Everyone."""
        guild = self.add_guild(guild_id)
        role: JSON = {
            "id": str(role_id), "name": name or f"role-{role_id}", "permissions": str(permissions),
            "position": len(guild.roles) + 1, "color": 0, "colors": {"primary_color": 0}, "hoist": False,
            "managed": False, "mentionable": mentionable, "icon": None, "unicode_emoji": None, "flags": 0,
        }
        guild.roles.append(role)
        if self.connected.is_set():
            self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role}, guild_id=guild_id)
        return role

    def make_private(self, channel_id: int, *, roles: tuple[int, ...] = ()) -> None:
        """Hide a channel from @everyone (View Channel denied); ``roles`` and the bot may still view it."""
        channel = self.channels[channel_id]
        assert channel.guild_id is not None
        channel.overwrites = [
            {"id": str(channel.guild_id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
            *({"id": str(r), "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"} for r in roles),
            {"id": str(self.bot_id), "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
        ]
        if self.connected.is_set():
            self.dispatch("CHANNEL_UPDATE", self.channel_payload(channel), guild_id=channel.guild_id)

    def set_can_send(self, channel_id: int, can_send: bool) -> None:
        self.channels[channel_id].can_send = can_send

    def set_bot_permissions(self, channel_id: int, *, allow: int = 0, deny: int = 0) -> None:
        """Set the bot's permission overwrite in a channel; discord.py hears of it (CHANNEL_UPDATE)."""
        channel = self.channels[channel_id]
        channel.allow, channel.deny = allow, deny
        if self.connected.is_set():
            self.dispatch("CHANNEL_UPDATE", self.channel_payload(channel), guild_id=channel.guild_id)

    def bot_role_id(self, guild_id: int) -> int:
        return guild_id + 1

    def delete_channel(self, channel_id: int) -> None:
        """Mark a channel deleted: REST answers 404 10003 and CHANNEL_DELETE is dispatched."""
        channel = self.channels[channel_id]
        channel.deleted = True
        if self.connected.is_set():
            self.dispatch("CHANNEL_DELETE", self.channel_payload(channel), guild_id=channel.guild_id)

    def live_channel(self, channel_id: int) -> Channel | None:
        channel = self.channels.get(channel_id)
        return None if channel is None or channel.deleted else channel

    # -- observation -----------------------------------------------------------

    def messages(self, channel_id: int) -> list[JSON]:
        """Messages currently in a channel, oldest first (deleted ones are gone)."""
        return list(self._messages.get(channel_id, []))

    def all_messages(self) -> list[JSON]:
        return [m for msgs in self._messages.values() for m in msgs]

    async def wait_for_message(
        self, channel_id: int, predicate: Callable[[JSON], bool] | None = None, timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        """First message in ``channel_id`` matching ``predicate`` (existing ones count)."""
        found: list[JSON] = []

        def check() -> bool:
            for msg in self._messages.get(channel_id, []):
                if predicate is None or predicate(msg):
                    found.append(msg)
                    return True
            return False

        await self.wait_until(check, timeout)
        return found[0]

    @property
    def commands(self) -> list[JSON]:
        """Every registered application command (global and guild ones, with ``guild_id``)."""
        return [c for cmds in self._commands.values() for c in cmds]

    def global_commands(self) -> list[JSON]:
        return list(self._commands.get(None, []))

    def guild_commands(self, guild_id: int) -> list[JSON]:
        return list(self._commands.get(guild_id, []))

    def requests_to(self, method: str, path_glob: str) -> list[RecordedRequest]:
        """Recorded requests matching a method and an fnmatch-style path glob."""
        from fnmatch import fnmatchcase

        return [r for r in self.requests if r.method == method.upper() and fnmatchcase(r.path, path_glob)]

    # -- payloads ----------------------------------------------------------------

    def bot_user_payload(self) -> JSON:
        return {
            "id": str(self.bot_id), "username": self.bot_name, "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True, "system": False, "flags": 0, "public_flags": 0,
            "mfa_enabled": False, "verified": True, "locale": "en-US",
        }

    @staticmethod
    def user_payload(user_id: int, name: str | None = None) -> JSON:
        return {
            "id": str(user_id), "username": name or f"user{user_id % 10000}", "discriminator": "0",
            "global_name": None, "avatar": None, "public_flags": 0, "flags": 0,
        }

    def member_payload(self, user: JSON, *, permissions: int | None = None, roles: tuple[int, ...] = ()) -> JSON:
        member: JSON = {
            "user": user, "roles": [str(r) for r in roles], "nick": None, "avatar": None, "joined_at": iso(),
            "premium_since": None, "deaf": False, "mute": False, "flags": 0, "pending": False,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    def _overwrite(self, channel: Channel) -> tuple[int, int]:
        """The bot's member overwrite in a channel: its own allow/deny, ``can_send`` and ``make_private``'s."""
        allow = channel.allow
        deny = channel.deny | (0 if channel.can_send else SEND_MESSAGES | SEND_MESSAGES_IN_THREADS)
        for o in channel.overwrites:
            if o["type"] == 1 and o["id"] == str(self.bot_id):
                allow, deny = allow | int(o["allow"]), deny | int(o["deny"])
        return allow & ~deny, deny

    def channel_payload(self, channel: Channel) -> JSON:
        overwrites = [o for o in channel.overwrites if not (o["type"] == 1 and o["id"] == str(self.bot_id))]
        allow, deny = self._overwrite(channel)
        if allow or deny:
            overwrites.append({"id": str(self.bot_id), "type": 1, "allow": str(allow), "deny": str(deny)})
        payload: JSON = {
            "id": str(channel.id), "type": channel.type, "name": channel.name, "position": channel.position,
            "permission_overwrites": overwrites, "topic": channel.topic, "nsfw": False,
            "rate_limit_per_user": 0, "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "last_message_id": None, "default_auto_archive_duration": 1440, "flags": 0,
        }
        if channel.guild_id is not None:
            payload["guild_id"] = str(channel.guild_id)
        if channel.type == FORUM:
            payload.update(available_tags=channel.tags, default_reaction_emoji=None, default_sort_order=None,
                           default_forum_layout=0, default_thread_rate_limit_per_user=0)
        if channel.is_thread:
            payload["applied_tags"] = channel.applied_tags
            payload.update(
                owner_id=str(self.bot_id), member_count=1, message_count=0, total_message_sent=0,
                thread_metadata={"archived": False, "auto_archive_duration": 1440,
                                 "archive_timestamp": iso(), "locked": False},
            )
        return payload

    def bot_permissions(self, channel: Channel | None) -> int:
        """The bot's permissions in a channel: @everyone + its role, then its overwrite there (a thread
        takes its parent's)."""
        perms = MEMBER_PERMISSIONS | BOT_ROLE_PERMISSIONS
        if channel is not None and channel.is_thread and channel.parent_id in self.channels:
            parent = self.channels[channel.parent_id]
            perms = self.bot_permissions(parent)
            if not channel.can_send:
                perms &= ~SEND_MESSAGES_IN_THREADS
            return perms
        if channel is not None:
            allow, deny = self._overwrite(channel)
            perms = (perms & ~deny) | allow
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    def guild_payload(self, guild: Guild) -> JSON:
        channels = [self.channels[c] for c in guild.channel_ids if not self.channels[c].deleted]
        everyone = {
            "id": str(guild.id), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS), "position": 0,
            "color": 0, "colors": {"primary_color": 0}, "hoist": False, "managed": False,
            "mentionable": False, "icon": None, "unicode_emoji": None, "flags": 0,
        }
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "splash": None, "discovery_splash": None,
            "banner": None, "description": None, "owner_id": str(guild.owner_id), "region": None,
            "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "nsfw_level": 0, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "vanity_url_code": None, "max_members": 500000,
            "features": [], "emojis": [], "stickers": [],
            "roles": [everyone, self._bot_role(guild), *guild.roles],
            "channels": [self.channel_payload(c) for c in channels if not c.is_thread],
            "threads": [self.channel_payload(c) for c in channels if c.is_thread],
            "members": [{**self.member_payload(self.bot_user_payload()),
                         "roles": [str(self.bot_role_id(guild.id))]}],
            "member_count": 2, "large": False, "unavailable": False, "joined_at": iso(),
            "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "lazy": True, "application_id": None,
        }

    def _bot_role(self, guild: Guild) -> JSON:
        return {"id": str(self.bot_role_id(guild.id)), "name": self.bot_name,
                "permissions": str(BOT_ROLE_PERMISSIONS), "position": 1, "color": 0,
                "colors": {"primary_color": 0}, "hoist": False, "managed": True, "mentionable": False,
                "icon": None, "unicode_emoji": None, "flags": 0, "tags": {"bot_id": str(self.bot_id)}}

    def shard_of(self, guild_id: int | None, num_shards: int) -> int:
        """Discord's sharding formula; DMs always go to shard 0."""
        return 0 if guild_id is None or num_shards <= 1 else (guild_id >> 22) % num_shards
