"""The Discord client: which intents, which cogs, and when to sync slash commands.

Only the `guilds` intent is asked for: slash commands arrive as interactions, so the bot never needs to
read messages (no privileged intents to request, nothing sensitive to hold).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

from bot.config import Settings
from bot.discord.limits import Limits
from bot.fetch.net import Fetcher
from bot.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

EXTENSIONS = (
    "bot.discord.exts.errors",
    "bot.discord.exts.feeds",
    "bot.discord.exts.summarize",
    "bot.discord.exts.search",
    "bot.discord.exts.quotes",
    "bot.discord.exts.digest",
)
COMMANDS_HASH_KEY = "discord.commands_hash"


def utcnow() -> datetime:
    return datetime.now(UTC)


def point_at(settings: Settings) -> None:
    """Aim discord.py at the configured REST base and gateway (a proxy, or the fake Discord in tests).

    These are class attributes in discord.py, so this affects every client in the process; call it
    before connecting.
    """
    discord.http.Route.BASE = settings.discord.api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


def intents() -> discord.Intents:
    return discord.Intents(guilds=True)


class _NewsBotMixin:
    """What both bot classes share; a mixin because AutoShardedBot and Bot differ only in sharding."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    clock: Clock
    sync_on_start: bool
    limits: Limits
    tree: discord.app_commands.CommandTree[Any]

    def _init_news(self, settings: Settings, store: Store, fetcher: Fetcher, clock: Clock | None,
                   sync_on_start: bool) -> None:
        from bot.discord.sink import DiscordSink

        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.clock = clock or utcnow
        self.sync_on_start = sync_on_start and settings.discord.sync_commands
        self.sink = DiscordSink(self)  # type: ignore[arg-type]
        self.limits = Limits(settings.limits)

    async def setup_hook(self) -> None:
        bot = cast(commands.Bot, self)
        for ext in EXTENSIONS:
            await bot.load_extension(ext)
        if self.sync_on_start:
            await self.sync_commands(force=False)

    def commands_hash(self) -> str:
        """A digest of every global command's payload: equal hashes mean Discord already has this tree."""
        payloads = sorted((cmd.to_dict(self.tree) for cmd in self.tree._get_all_commands()),
                          key=lambda p: (p.get("type", 1), p["name"]))
        blob = json.dumps(payloads, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync_commands(self, *, force: bool = True) -> bool:
        """Upload the command tree when it changed since the last sync (or always with force).

        Syncing is rate limited by Discord and slow to propagate, so doing it on every start is wasteful;
        returns whether a sync happened.
        """
        digest = self.commands_hash()
        if not force and await self.store.get_meta(COMMANDS_HASH_KEY) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync()
        await self.store.set_meta(COMMANDS_HASH_KEY, digest)
        log.info("synced %s slash commands", len(synced))
        return True

    async def on_ready(self) -> None:
        user = getattr(self, "user", None)
        guilds = getattr(self, "guilds", [])
        log.info("connected as %s in %s guild(s)", user, len(guilds))


class NewsBot(_NewsBotMixin, commands.Bot):
    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, *, clock: Clock | None = None,
                 sync_on_start: bool = True, **options: Any) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self._init_news(settings, store, fetcher, clock, sync_on_start)


class ShardedNewsBot(_NewsBotMixin, commands.AutoShardedBot):
    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, *, clock: Clock | None = None,
                 sync_on_start: bool = True, **options: Any) -> None:
        if settings.discord.shard_ids:  # this process holds only these of `shards` shards
            options["shard_ids"] = list(settings.discord.shard_ids)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None,
                         allowed_mentions=discord.AllowedMentions.none(), shard_count=settings.discord.shards,
                         **options)
        self._init_news(settings, store, fetcher, clock, sync_on_start)


AnyNewsBot = NewsBot | ShardedNewsBot


def create_bot(settings: Settings, store: Store, fetcher: Fetcher, *, clock: Clock | None = None,
               sync_on_start: bool = True, **options: Any) -> NewsBot | ShardedNewsBot:
    """A NewsBot, or its AutoShardedBot twin when `discord.shards` is set. Call `point_at` first.

    `options` go to discord.py's client (tests pass `guild_ready_timeout`). Rate limits longer than
    `max_ratelimit_timeout` raise instead of sleeping, so a delivery is rescheduled by the outbox rather
    than holding a worker for minutes.
    """
    options.setdefault("max_ratelimit_timeout", 30.0)
    cls: type[NewsBot] | type[ShardedNewsBot] = ShardedNewsBot if settings.discord.shards else NewsBot
    return cls(settings, store, fetcher, clock=clock, sync_on_start=sync_on_start, **options)
