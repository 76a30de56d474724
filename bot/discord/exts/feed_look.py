"""/feed look and /feed mode: how a feed's stories look in a channel and how they are posted there.

A mixin of the Feeds cog: feeds.py adds these commands to its `/feed` group (`COMMANDS`).
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._feed_group import manage_guild
from bot.discord.exts._shared import (
    UserError,
    defer,
    feed_autocomplete,
    news_bot,
    pick_subscriptions,
    reply,
    resolve_feed,
)
from bot.discord.exts.feed_delivery import AnyChannel, channels_of, permission_warning
from bot.discord.render import fit

_HEX = re.compile(r"#?([0-9a-fA-F]{6})\Z")


def parse_colour(text: str) -> int:
    match = _HEX.match(text.strip()[:8])
    if not match:
        raise UserError("Give the colour as six hex digits, like `#3B82F6`.")
    return int(match.group(1), 16)


class FeedLookCommands(commands.Cog):
    @app_commands.command(name="look", description="How a feed's stories look: full, compact or text; bullets; colour")
    @app_commands.describe(feed="The feed", style="Full embed, compact (title, link, one bullet) or text only",
                           bullets="How many key points (1-10)", quotes="Show quotes",
                           colour="Embed colour, six hex digits like #3B82F6",
                           webhook="Post through a channel webhook with the feed's name and icon "
                                   "(needs Manage Webhooks)",
                           channel="Only in this channel (default: every channel)")
    @app_commands.choices(style=[app_commands.Choice(name="full embed", value="full"),
                                 app_commands.Choice(name="compact: title, link, one bullet", value="compact"),
                                 app_commands.Choice(name="text only", value="text")])
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def look(self, interaction: discord.Interaction, feed: str, style: str | None = None,
                   bullets: app_commands.Range[int, 1, 10] | None = None, quotes: bool | None = None,
                   colour: str | None = None, webhook: bool | None = None,
                   channel: AnyChannel | None = None) -> None:
        changes: dict[str, Any] = {}
        if style is not None:
            changes["look"] = style
        if bullets is not None:
            changes["bullets"] = bullets
        if quotes is not None:
            changes["quotes"] = quotes
        if colour is not None:
            changes["colour"] = parse_colour(colour)
        if webhook is not None:
            changes["webhook"] = webhook
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        subs = pick_subscriptions(subs, channel, found)
        store = news_bot(interaction).store
        lines = []
        settings = None
        for sub in subs:
            settings = await (store.set_post_settings(sub.id, **changes) if changes else store.post_settings(sub.id))
            if warning := permission_warning(interaction, sub, settings):
                lines.append(warning)
        assert settings is not None
        desc = {"full": "full embed", "compact": "compact", "text": "text only"}[settings.look]
        parts = [desc, f"{settings.bullets} bullets" if settings.bullets else "all bullets",
                 "quotes" if settings.quotes else "no quotes"]
        if settings.colour is not None:
            parts.append(f"colour #{settings.colour:06X}")
        if settings.webhook:
            parts.append("posted through a webhook as the feed")
        head = (f"**{fit(found.display_name, 200)}** in {channels_of(subs)}: {', '.join(parts)}. "
                "See it with `/feed preview`.")
        if settings.webhook and any("Manage Webhooks" in line for line in lines):
            lines.append("Until I have Manage Webhooks there, I post the stories myself.")
        await reply(interaction, "\n".join([head, *lines]))

    @app_commands.command(name="mode", description="Thread per story, auto-publish, or a forum tag for a feed's posts")
    @app_commands.describe(feed="The feed", thread="Open a thread under each story (text channels)",
                           publish="Publish each story to following servers (announcement channels)",
                           tag="Forum tag for each story's post (forum channels; name of an existing tag)",
                           channel="Only in this channel (default: every channel)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def mode(self, interaction: discord.Interaction, feed: str, thread: bool | None = None,
                   publish: bool | None = None, tag: str | None = None, channel: AnyChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        subs = pick_subscriptions(subs, channel, found)
        store = news_bot(interaction).store
        lines = []
        for sub in subs:
            target = interaction.guild.get_channel(sub.channel_id) if interaction.guild else None
            changes: dict[str, Any] = {}
            if thread is not None:
                if thread and not isinstance(target, discord.TextChannel):
                    raise UserError(f"<#{sub.channel_id}> is not a text channel; threads per story need one.")
                changes["thread_per_story"] = thread
            if publish is not None:
                if publish and not (isinstance(target, discord.TextChannel) and target.is_news()):
                    raise UserError(f"<#{sub.channel_id}> is not an announcement channel; only those publish.")
                changes["auto_publish"] = publish
            if tag is not None:
                changes["forum_tag_id"] = _forum_tag(target, tag, sub.channel_id)
            settings = await store.set_post_settings(sub.id, **changes)
            if warning := permission_warning(interaction, sub, settings):
                lines.append(warning)
            parts = []
            if settings.thread_per_story:
                parts.append("a thread under each story")
            if settings.auto_publish:
                parts.append("each story published")
            if settings.forum_tag_id is not None:
                parts.append("tagged forum posts")
            lines.insert(0, f"<#{sub.channel_id}>: {', '.join(parts) or 'plain posts'}.")
        await reply(interaction, f"**{fit(found.display_name, 200)}**\n" + "\n".join(lines))


COMMANDS = (FeedLookCommands.look, FeedLookCommands.mode)


def _forum_tag(channel: Any, name: str, channel_id: int) -> int | None:
    """The id of the forum tag named `name` (empty clears it)."""
    if not name.strip():
        return None
    if not isinstance(channel, discord.ForumChannel):
        raise UserError(f"<#{channel_id}> is not a forum channel; tags are for forum posts.")
    wanted = name.strip().casefold()
    for forum_tag in channel.available_tags:
        if forum_tag.name.casefold() == wanted:
            return forum_tag.id
    names = ", ".join(t.name for t in channel.available_tags[:20]) or "none"
    raise UserError(f"<#{channel_id}> has no tag “{fit(name, 50)}” (its tags: {fit(names, 500)}).")
