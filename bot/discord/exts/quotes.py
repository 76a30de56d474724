"""/quotes: what a person has been quoted saying in this server's stories, with links to check context
(only stories of feeds posted to channels the member can view)."""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._shared import defer, guild_id, news_bot, reply
from bot.discord.exts._visibility import visible_channel_ids
from bot.discord.limits import cooldown
from bot.discord.listings import quotes_embed

RESULTS = 10


class Quotes(commands.Cog):
    @app_commands.command(name="quotes", description="What someone has been quoted saying in the news")
    @app_commands.describe(who="A person's name (full name or surname)", days="Only the last N days")
    @app_commands.guild_only()
    @cooldown("quotes")
    async def quotes(self, interaction: discord.Interaction, who: app_commands.Range[str, 2, 100],
                     days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        gid = guild_id(interaction)
        bot = news_bot(interaction)
        await defer(interaction, ephemeral=False)  # the database is shared with ingest: never risk the 3 s
        since = bot.clock() - timedelta(days=days) if days else None
        hits = await bot.store.quotes_by(gid, who.strip(), since=since, limit=RESULTS,
                                         channel_ids=visible_channel_ids(interaction))
        await reply(interaction, embed=quotes_embed(who, hits, days=days), ephemeral=False)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Quotes())
