"""/feed: add, remove, list, filter and re-enable the news feeds a server follows.

All subcommands need Manage Server: Discord hides them from others by default (default_permissions), and
each one checks again here, because a server can override the default for anyone.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._feed_group import manage_guild
from bot.discord.exts._shared import (
    UserError,
    defer,
    feed_autocomplete,
    guild_feeds,
    guild_id,
    news_bot,
    pick_subscriptions,
    post_channel_id,
    reply,
    resolve_feed,
)
from bot.discord.exts.feed_delivery import COMMANDS as DELIVERY_COMMANDS
from bot.discord.exts.feed_delivery import FeedDeliveryCommands
from bot.discord.exts.feed_look import COMMANDS as LOOK_COMMANDS
from bot.discord.exts.feed_look import FeedLookCommands
from bot.discord.listings import feed_list_embed
from bot.discord.render import code, fit
from bot.fetch.feeds import FeedError, parse_feed
from bot.fetch.net import FetchError, FetchResponse
from bot.models import ADMIN_PAUSE, ParsedFeed
from bot.pipeline.filters import validate_filter
from bot.status import plural
from bot.store import StoreError

log = logging.getLogger(__name__)

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1")


class Feeds(FeedDeliveryCommands, FeedLookCommands):
    feed = app_commands.Group(name="feed", description="Manage the news feeds this server follows",
                              guild_only=True, default_permissions=discord.Permissions(manage_guild=True))
    for _command in (*DELIVERY_COMMANDS, *LOOK_COMMANDS):
        feed.add_command(_command)
    del _command

    @feed.command(name="add", description="Follow a feed (RSS, Atom or JSON Feed) in a channel")
    @app_commands.describe(url="The feed's address (a site's page that links to its feed works too)",
                           channel="Where new stories are posted: a text, announcement or forum channel "
                                   "(default: this channel)")
    @manage_guild
    async def add(self, interaction: discord.Interaction, url: str,
                  channel: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        gid = guild_id(interaction)
        target_id = post_channel_id(interaction, channel)
        url = url.strip().strip("<>")
        if not url.startswith(("http://", "https://")):
            raise UserError("Give the feed's full address, starting with https:// (or http://).")
        await defer(interaction, ephemeral=True)  # fetching can take longer than 3 s
        bot = news_bot(interaction)
        await _check_feed_limit(interaction, url)
        url, parsed = await self._probe(interaction, url)
        await _check_feed_limit(interaction, url)  # the page may have led to a feed the server follows
        now = bot.clock()
        feed = await bot.store.add_feed(url, title=parsed.title, site_url=parsed.site_url,
                                        poll_interval=bot.settings.feeds.poll_interval, now=now)
        try:
            await bot.store.subscribe(gid, target_id, feed.id, now=now,
                                      max_per_guild=bot.settings.feeds.max_subscriptions_per_server)
        except StoreError as exc:
            raise UserError(str(exc)) from None
        entries = plural(len(parsed.entries), "entry", "entries")
        lines = [f"Following **{fit(parsed.title, 200)}** ({entries}) in <#{target_id}>. "
                 f"The newest stories appear within a few minutes. Feed id: `{feed.id}`."]
        if feed.disabled:
            reason = fit(feed.disabled_reason or "too many failures", 200)
            lines.append(f"⚠️ This feed is disabled ({reason}); "
                         f"run `/feed enable feed:{feed.id}` to turn it back on.")
        warning = _missing_post_permissions(channel or interaction.channel)
        if warning:
            lines.append(warning)
        log.info("guild %s subscribed channel %s to feed %s (%s)", gid, target_id, feed.id, url)
        await reply(interaction, "\n".join(lines))

    async def _probe(self, interaction: discord.Interaction, url: str) -> tuple[str, ParsedFeed]:
        """Fetch and parse `url`; a web page that links to a feed is followed to that feed once."""
        response = await _fetch(interaction, url)
        try:
            return url, await _parse(interaction, response)
        except FeedError as exc:
            if not exc.alternates:
                raise UserError(f"{fit(url, 300)} is not a feed I can read: {exc.reason}.") from None
            alternate = exc.alternates[0]
            log.debug("feed add: %s is a page; trying its feed %s", url, alternate)
        try:
            parsed = await _parse(interaction, await _fetch(interaction, alternate))
        except FeedError as exc:
            raise UserError(f"{fit(url, 300)} is a web page and its feed {fit(alternate, 300)} could not be "
                            f"read: {exc.reason}.") from None
        return alternate, parsed

    @feed.command(name="remove", description="Stop following a feed in this server (or in one channel)")
    @app_commands.describe(feed="The feed to remove", channel="Only in this channel (default: every channel)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def remove(self, interaction: discord.Interaction, feed: str,
                     channel: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        found, subs = await resolve_feed(interaction, feed)
        pick_subscriptions(subs, channel, found)  # says so when the feed is not posted in that channel
        removed = await news_bot(interaction).store.unsubscribe(guild_id(interaction), found.id,
                                                                channel.id if channel else None)
        await reply(interaction, f"Stopped following **{fit(found.display_name, 200)}** "
                                 f"({removed} channel{'s' if removed != 1 else ''}).")

    @feed.command(name="list", description="The feeds this server follows, with their state")
    async def list_(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        store = news_bot(interaction).store
        rows = await store.guild_subscriptions(guild_id(interaction))
        looks = await store.post_settings_many([sub.id for sub, _ in rows])
        await reply(interaction, embed=feed_list_embed(rows, looks))

    @feed.command(name="filter", description="Only post a feed's stories that match keywords or a /regex/")
    @app_commands.describe(feed="The feed to filter",
                           include="Post only stories matching: comma-separated keywords or /regex/ "
                                   "(leave both empty to clear)",
                           exclude="Never post stories matching: comma-separated keywords or /regex/",
                           channel="Only in this channel (default: every channel)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def filter(self, interaction: discord.Interaction, feed: str, include: str | None = None,
                     exclude: str | None = None,
                     channel: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        found, subs = await resolve_feed(interaction, feed)
        subs = pick_subscriptions(subs, channel, found)
        include = (include or "").strip() or None
        exclude = (exclude or "").strip() or None
        for label, expr in (("include", include), ("exclude", exclude)):
            problem = await asyncio.to_thread(validate_filter, expr) if expr else None  # CPU: off the loop
            if problem:
                raise UserError(f"The {label} filter can't be used: {problem}.")
        store = news_bot(interaction).store
        for sub in subs:
            await store.set_filters(sub.id, include, exclude)
        if include is None and exclude is None:
            text = f"Filters cleared: every story of **{fit(found.display_name, 200)}** is posted."
        else:
            parts = [f"include {code(include, 300)}" if include else "",
                     f"exclude {code(exclude, 300)}" if exclude else ""]
            text = (f"**{fit(found.display_name, 200)}** now posts stories that "
                    f"{' and '.join(p for p in parts if p)}. Applies to new stories.")
        await reply(interaction, text)

    @feed.command(name="enable", description="Turn a disabled feed back on and resume paused channels")
    @app_commands.describe(feed="The feed to enable")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def enable(self, interaction: discord.Interaction, feed: str) -> None:
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        found, subs = await resolve_feed(interaction, feed)
        bot = news_bot(interaction)
        done = []
        if found.disabled:
            await bot.store.set_feed_enabled(found.id, True, now=bot.clock())
            done.append("enabled it again (it will be read within a minute)")
        paused = [s for s in subs if s.paused and s.paused_reason != ADMIN_PAUSE]  # those: /feed resume
        for sub in paused:
            await bot.store.resume_subscription(sub.id)
        if paused:
            channels = ", ".join(f"<#{s.channel_id}>" for s in paused)
            done.append(f"resumed posting in {channels}")
        if not done:
            await reply(interaction, f"**{fit(found.display_name, 200)}** is already on; nothing to do.")
            return
        await reply(interaction, f"**{fit(found.display_name, 200)}**: {' and '.join(done)}.")

    @feed.command(name="logchannel", description="Where I report problems, like a channel I can't post in")
    @app_commands.describe(channel="The channel for problem reports")
    @manage_guild
    async def logchannel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        await news_bot(interaction).store.set_log_channel(guild_id(interaction), channel.id)
        text = f"I'll report delivery problems in {channel.mention}."
        warning = _missing_post_permissions(channel)
        await reply(interaction, f"{text}\n{warning}" if warning else text)


async def _check_feed_limit(interaction: discord.Interaction, url: str) -> None:
    """Refuse a feed beyond the server's limit; a feed the server already follows never counts twice."""
    bot = news_bot(interaction)
    gid = guild_id(interaction)
    limit = bot.settings.limits.feeds_per_server
    known = await bot.store.get_feed_by_url(url)
    if known is not None and any(f.id == known.id for f, _ in (await guild_feeds(interaction)).values()):
        return
    if await bot.store.guild_feed_count(gid) >= limit:
        raise UserError(f"This server follows {limit} feeds already, the most it may; remove one with "
                        "`/feed remove` first.")


async def _fetch(interaction: discord.Interaction, url: str) -> FetchResponse:
    try:
        return await news_bot(interaction).fetcher.fetch(url, accept=FEED_ACCEPT)
    except FetchError as exc:
        raise UserError(f"I couldn't read {fit(url, 300)}: {exc.reason}.") from None


async def _parse(interaction: discord.Interaction, response: FetchResponse) -> ParsedFeed:
    max_entries = news_bot(interaction).settings.feeds.max_entries
    return await asyncio.to_thread(parse_feed, response.body, url=response.url,
                                   content_type=response.content_type, max_entries=max_entries)


def _missing_post_permissions(channel: object) -> str | None:
    """A warning when I can see I lack Send Messages/Embed Links there (None when fine or unknown)."""
    if not isinstance(channel, discord.abc.GuildChannel):
        return None
    me = channel.guild.me
    if me is None:
        return None
    perms = channel.permissions_for(me)
    needed = (("View Channel", perms.view_channel), ("Send Messages", perms.send_messages),
              ("Embed Links", perms.embed_links))
    missing = [name for name, ok in needed if not ok]
    if not missing:
        return None
    return f"⚠️ I'm missing {', '.join(missing)} in {channel.mention}; grant them or nothing will be posted."


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Feeds())
