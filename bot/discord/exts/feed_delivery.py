"""/feed ping, pause, resume, preview, test and move: when and where a feed's stories are posted.

A mixin of the Feeds cog: feeds.py adds these commands to its `/feed` group (`COMMANDS`).
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
    guild_id,
    news_bot,
    one_subscription,
    pick_subscriptions,
    reply,
    resolve_feed,
)
from bot.discord.post_look import story_post
from bot.discord.post_modes import missing_permissions
from bot.discord.render import code, fit
from bot.models import PendingDelivery, PostSettings, StoryView, Subscription
from bot.pipeline.filters import validate_filter
from bot.store import StoreError
from bot.work.delivery import ChannelGone, Delivered, RetryLater, Withdrawn

log = logging.getLogger(__name__)

AnyChannel = discord.TextChannel | discord.ForumChannel


def channels_of(subs: list[Subscription]) -> str:
    return ", ".join(f"<#{s.channel_id}>" for s in subs[:20])


def permission_warning(interaction: discord.Interaction, sub: Subscription, settings: PostSettings,
                       *, role: discord.Role | None = None) -> str | None:
    """"I'm missing X, Y in #channel" for what this subscription's mode needs, or None."""
    channel = interaction.guild.get_channel(sub.channel_id) if interaction.guild else None
    if channel is None:
        return None
    mentionable = role.mentionable if role is not None else True
    missing = missing_permissions(channel, settings, role_mentionable=mentionable)
    if not missing:
        return None
    return f"⚠️ I'm missing {', '.join(missing)} in <#{sub.channel_id}>; grant them or this won't work there."


class FeedDeliveryCommands(commands.Cog):
    @app_commands.command(name="ping", description="Mention a role when a feed posts (optionally only for keywords)")
    @app_commands.describe(feed="The feed", role="The role to mention", off="Stop mentioning a role",
                           keywords="Only stories matching: comma-separated keywords or /regex/",
                           channel="Only in this channel (default: every channel)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def ping(self, interaction: discord.Interaction, feed: str, role: discord.Role | None = None,
                   keywords: str | None = None, off: bool = False, channel: AnyChannel | None = None) -> None:
        if not off and role is None:
            raise UserError("Give the `role` to mention, or `off:True` to stop mentioning one.")
        if role is not None and (role.is_default() or role.managed):
            raise UserError("Pick a regular role: not @everyone and not a bot's own role.")
        keywords = (keywords or "").strip() or None
        if keywords and (problem := validate_filter(keywords)):
            raise UserError(f"Those keywords can't be used: {problem}.")
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        subs = pick_subscriptions(subs, channel, found)
        store = news_bot(interaction).store
        lines = []
        for sub in subs:
            if off:
                await store.set_post_settings(sub.id, ping_role_id=None, ping_keywords=None)
                continue
            assert role is not None
            settings = await store.set_post_settings(sub.id, ping_role_id=role.id, ping_keywords=keywords)
            if warning := permission_warning(interaction, sub, settings, role=role):
                lines.append(warning)
        name = fit(found.display_name, 200)
        if off:
            head = f"**{name}** no longer mentions a role in {channels_of(subs)}."
        else:
            assert role is not None
            which = f"stories matching {code(keywords, 200)}" if keywords else "every new story"
            head = f"**{name}** now mentions {role.mention} for {which} in {channels_of(subs)}."
        await reply(interaction, "\n".join([head, *lines]))

    @app_commands.command(name="pause", description="Stop posting a feed until /feed resume")
    @app_commands.describe(feed="The feed to pause", channel="Only in this channel (default: every channel)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def pause(self, interaction: discord.Interaction, feed: str, channel: AnyChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        subs = pick_subscriptions(subs, channel, found)
        bot = news_bot(interaction)
        paused = [s for s in subs if await bot.store.pause_subscription(s.id, now=bot.clock())]
        if not paused:
            raise UserError(f"**{fit(found.display_name, 200)}** is paused already there.")
        await reply(interaction, f"Paused **{fit(found.display_name, 200)}** in {channels_of(paused)}. "
                                 "Nothing is posted until `/feed resume`, which can post what was missed.")

    @app_commands.command(name="resume", description="Post a paused feed again, with or without what was missed")
    @app_commands.describe(feed="The feed to resume", missed="Post the stories missed while paused, or skip them",
                           channel="Only in this channel (default: every channel)")
    @app_commands.choices(missed=[app_commands.Choice(name="post what was missed (newest first)", value="post"),
                                  app_commands.Choice(name="skip it", value="skip")])
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def resume(self, interaction: discord.Interaction, feed: str, missed: str,
                     channel: AnyChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        subs = [s for s in pick_subscriptions(subs, channel, found) if s.paused]
        if not subs:
            raise UserError(f"**{fit(found.display_name, 200)}** is not paused there.")
        bot = news_bot(interaction)
        bound = bot.settings.limits.missed_stories if missed == "post" else 0
        queued = 0
        for sub in subs:
            queued += await bot.store.resume_subscription_missed(sub.id, now=bot.clock(), missed=bound)
        if missed == "post":
            tail = (f"posting the {queued} newest stor{'y' if queued == 1 else 'ies'} missed meanwhile "
                    f"(at most {bound}), newest first." if queued else "nothing was missed.")
        else:
            tail = "stories missed meanwhile are skipped."
        await reply(interaction, f"Resumed **{fit(found.display_name, 200)}** in {channels_of(subs)}; {tail}")

    @app_commands.command(name="preview", description="Show a feed's next post exactly as it will look (only to you)")
    @app_commands.describe(feed="The feed", channel="The channel whose settings to use (when several)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def preview(self, interaction: discord.Interaction, feed: str, channel: AnyChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        sub = one_subscription(subs, channel, found)
        bot = news_bot(interaction)
        story = await _next_story(interaction, sub)
        if story is None:
            raise UserError(f"**{fit(found.display_name, 200)}** has no story yet to preview.")
        post = await asyncio.to_thread(story_post, story, await bot.store.post_settings(sub.id))  # /regex/ pings
        await reply(interaction, post.content, embed=post.embed)

    @app_commands.command(name="test", description="Post a feed's newest story now, to check how it looks")
    @app_commands.describe(feed="The feed", channel="The channel to post in (when several)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def test(self, interaction: discord.Interaction, feed: str, channel: AnyChannel | None = None) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        sub = one_subscription(subs, channel, found)
        bot = news_bot(interaction)
        stories = await bot.store.latest(sub.guild_id, feed_id=found.id, limit=1)
        if not stories:
            raise UserError(f"**{fit(found.display_name, 200)}** has no story yet to post.")
        delivery = PendingDelivery(id=interaction.id, guild_id=sub.guild_id, channel_id=sub.channel_id,
                                   subscription_id=sub.id, story=stories[0], attempts=0)
        match await bot.sink.deliver(delivery):
            case Delivered():
                await reply(interaction, f"Posted the newest story of **{fit(found.display_name, 200)}** "
                                         f"in <#{sub.channel_id}>.")
            case RetryLater(error=error):
                raise UserError(f"Discord didn't take the post ({fit(error, 300)}); try again in a minute.")
            case ChannelGone(reason=reason):
                raise UserError(f"I can't post in <#{sub.channel_id}>: {fit(reason, 300)}.")
            case Withdrawn():
                raise UserError(f"**{fit(found.display_name, 200)}** is paused in <#{sub.channel_id}>; "
                                "`/feed resume` it first.")

    @app_commands.command(name="move", description="Post a feed in another channel instead, keeping its settings")
    @app_commands.describe(feed="The feed", from_="The channel it is posted in now", to="The new channel")
    @app_commands.rename(from_="from")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @manage_guild
    async def move(self, interaction: discord.Interaction, feed: str, from_: AnyChannel, to: AnyChannel) -> None:
        await defer(interaction, ephemeral=True)
        found, subs = await resolve_feed(interaction, feed)
        sub = one_subscription(subs, from_, found)
        bot = news_bot(interaction)
        try:
            await bot.store.move_subscription(guild_id(interaction), found.id, from_.id, to.id)
        except StoreError:
            raise UserError(f"{to.mention} already follows **{fit(found.display_name, 200)}**.") from None
        moved = Subscription(sub.id, sub.guild_id, to.id, sub.feed_id)
        warning = permission_warning(interaction, moved, await bot.store.post_settings(sub.id))
        text = f"**{fit(found.display_name, 200)}** now posts in {to.mention} instead of {from_.mention}."
        await reply(interaction, f"{text}\n{warning}" if warning else text)


COMMANDS = (FeedDeliveryCommands.ping, FeedDeliveryCommands.pause, FeedDeliveryCommands.resume,
            FeedDeliveryCommands.preview, FeedDeliveryCommands.test, FeedDeliveryCommands.move)


async def _next_story(interaction: discord.Interaction, sub: Subscription) -> StoryView | None:
    """The story this subscription posts next: its oldest pending delivery, else the feed's newest story."""
    store = news_bot(interaction).store
    pending = await store.next_delivery_story(sub.id)
    if pending is not None:
        view = await store.story_view(sub.guild_id, pending)
        if view is not None:
            return view
    stories = await store.latest(sub.guild_id, feed_id=sub.feed_id, limit=1)
    return stories[0] if stories else None
