"""Which of a guild's channels the member running a command can view.

/latest, /search, /quotes and their feed suggestions show only stories from feeds posted to channels the
member can see: a feed kept for a private staff channel stays private. Permissions are worked out by
discord.py from the guild cache (roles, channel overwrites, owner, Administrator), which the `guilds`
intent keeps current; no extra request is made.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.exts._shared import feed_choices, guild_feeds


def visible_channel_ids(interaction: discord.Interaction) -> frozenset[int]:
    """Ids of the guild's channels the invoking member may view.

    Without the guild in the cache (an outage, or a guild still loading) nothing can be worked out, so
    only the channel the command was run in counts: the member is evidently looking at it.
    """
    seen: set[int] = set()
    guild, member = interaction.guild, interaction.user
    if guild is not None and isinstance(member, discord.Member) and guild.default_role is not None:
        seen.update(channel.id for channel in guild.channels if channel.permissions_for(member).view_channel)
    if interaction.channel_id is not None and interaction.permissions.view_channel:
        seen.add(interaction.channel_id)
    return frozenset(seen)


async def visible_feed_autocomplete(interaction: discord.Interaction, current: str,
                                    ) -> list[app_commands.Choice[str]]:
    """Like `feed_autocomplete`, but only feeds posted to a channel the member can view."""
    if interaction.guild_id is None:
        return []
    return feed_choices(await guild_feeds(interaction, visible_channel_ids(interaction)), current)
