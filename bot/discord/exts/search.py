"""/search and /latest: look through the stories of this server's feeds (never another server's), and
only of the feeds posted to channels the member can view."""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._shared import UserError, defer, guild_id, news_bot, reply, resolve_feed
from bot.discord.exts._visibility import visible_channel_ids, visible_feed_autocomplete
from bot.discord.limits import cooldown
from bot.discord.listings import latest_embed, search_results_embed
from bot.models import Feed

RESULTS = 5


async def _feed(interaction: discord.Interaction, text: str | None, visible: frozenset[int]) -> Feed | None:
    if not text:
        return None
    feed, _subs = await resolve_feed(interaction, text, visible)
    return feed


class Search(commands.Cog):
    @app_commands.command(name="search", description="Find stories from this server's feeds")
    @app_commands.describe(query="Words to look for in titles, summaries and quotes",
                           days="Only stories from the last N days", feed="Only this feed")
    @app_commands.autocomplete(feed=visible_feed_autocomplete)
    @app_commands.guild_only()
    @cooldown("search")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200],
                     days: app_commands.Range[int, 1, 3650] | None = None, feed: str | None = None) -> None:
        gid = guild_id(interaction)
        if not query.strip():
            raise UserError("Type some words to search for.")
        await defer(interaction, ephemeral=False)  # full-text search over a big archive can be slow
        bot = news_bot(interaction)
        visible = visible_channel_ids(interaction)
        found = await _feed(interaction, feed, visible)
        since = bot.clock() - timedelta(days=days) if days else None
        stories = await bot.store.search(gid, query, since=since, feed_id=found.id if found else None,
                                         limit=RESULTS, channel_ids=visible)
        name = found.display_name if found else None
        embed = search_results_embed(query, stories, days=days, feed_name=name)
        await reply(interaction, embed=embed, ephemeral=False)

    @app_commands.command(name="latest", description="The newest stories from this server's feeds")
    @app_commands.describe(feed="Only this feed", count="How many stories (1-10)")
    @app_commands.autocomplete(feed=visible_feed_autocomplete)
    @app_commands.guild_only()
    async def latest(self, interaction: discord.Interaction, feed: str | None = None,
                     count: app_commands.Range[int, 1, 10] = RESULTS) -> None:
        gid = guild_id(interaction)
        bot = news_bot(interaction)
        await defer(interaction, ephemeral=False)  # the database is shared with ingest: never risk the 3 s
        visible = visible_channel_ids(interaction)
        found = await _feed(interaction, feed, visible)
        stories = await bot.store.latest(gid, feed_id=found.id if found else None, limit=count,
                                         channel_ids=visible)
        await reply(interaction, embed=latest_embed(stories, feed_name=found.display_name if found else None),
                    ephemeral=False)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Search())
