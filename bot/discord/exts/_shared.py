"""Helpers the cogs share: `UserError`, answering, the typed bot, guild scoping, feed lookup/autocomplete.

A plain module, not an extension: loading an extension re-executes it, and `UserError` must stay one
class for the error handler's isinstance check.

Everything a command sees or changes goes through `guild_feeds`, which only knows the asking guild's
subscriptions, so a feed id from another guild is simply "not found" here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.discord.render import fit
from bot.models import Feed, Subscription

if TYPE_CHECKING:
    from bot.discord.client import AnyNewsBot

NO_MENTIONS = discord.AllowedMentions.none()


class UserError(Exception):
    """Raised by a command to show `str(exc)` to the user as is: a mistake they can fix."""


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now (Discord's 3-second deadline) and remember how, so the answer can replace the
    "thinking…" message with the same visibility."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras["defer_ephemeral"] = ephemeral


async def answer(interaction: discord.Interaction, content: str | None = None, *,
                 embed: discord.Embed | None = None, ephemeral: bool = True) -> None:
    """Answer a command however far it got: first reply, replacing its "thinking…" message, or a follow-up.

    An ephemeral answer to a public deferral deletes the public "thinking…" message and follows up
    privately, so an error about one person's input never lands in the channel.
    """
    extras = interaction.extras
    if not interaction.response.is_done():
        await interaction.response.send_message(content, embed=embed or discord.utils.MISSING,
                                                ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
        return
    pending = "defer_ephemeral" in extras and not extras.get("answered")
    extras["answered"] = True
    if pending and (extras["defer_ephemeral"] or not ephemeral):
        await interaction.edit_original_response(content=content, embed=embed, allowed_mentions=NO_MENTIONS)
        return
    if pending:
        await interaction.delete_original_response()
    await interaction.followup.send(content or discord.utils.MISSING, embed=embed or discord.utils.MISSING,
                                    ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)


def news_bot(interaction: discord.Interaction) -> AnyNewsBot:
    return cast("AnyNewsBot", interaction.client)


def guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserError("This command only works in a server.")
    return interaction.guild_id


def post_channel_id(interaction: discord.Interaction,
                    channel: discord.TextChannel | discord.ForumChannel | None) -> int:
    """Where a command should post: its `channel` option (Discord offers text, announcement and, where
    allowed, forum channels only), else the channel it was run in, which must be a text or announcement
    channel: not a thread (it gets archived), a forum post, a voice channel's chat or a DM."""
    if channel is not None:
        return channel.id
    if isinstance(interaction.channel, discord.TextChannel):
        return interaction.channel.id
    raise UserError("I can only post in a text or announcement channel, not here; "
                    "pick one with the `channel` option.")


async def guild_feeds(interaction: discord.Interaction, channel_ids: Collection[int] | None = None,
                      ) -> dict[int, tuple[Feed, list[Subscription]]]:
    """This guild's feeds by id, each with the guild's subscriptions to it; with `channel_ids`, only the
    feeds posted to one of those channels (the ones the member can view), with those subscriptions."""
    rows = await news_bot(interaction).store.guild_subscriptions(guild_id(interaction))
    feeds: dict[int, tuple[Feed, list[Subscription]]] = {}
    for sub, feed in rows:
        if channel_ids is None or sub.channel_id in channel_ids:
            feeds.setdefault(feed.id, (feed, []))[1].append(sub)
    return feeds


async def resolve_feed(interaction: discord.Interaction, text: str, channel_ids: Collection[int] | None = None,
                       ) -> tuple[Feed, list[Subscription]]:
    """A feed of this guild given by id (what autocomplete sends), URL or exact title; with `channel_ids`,
    only among the feeds posted to those channels."""
    feeds = await guild_feeds(interaction, channel_ids)
    key = (text or "").strip().lstrip("#")
    # isdecimal, not isdigit: "²" is a digit that int() refuses; and no id has 20 digits (int() refuses
    # more than 4300).
    if key.isdecimal() and len(key) <= 20 and int(key) in feeds:
        return feeds[int(key)]
    for feed, subs in feeds.values():
        if key and (feed.url == key or (feed.title or "").casefold() == key.casefold()):
            return feed, subs
    raise UserError(f"This server has no feed “{fit(text, 100)}”. "
                    "Pick one from the suggestions, or see `/feed list`.")


async def feed_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The guild's own feeds whose id, title or URL contains what was typed (never another guild's)."""
    if interaction.guild_id is None:
        return []
    return feed_choices(await guild_feeds(interaction), current)


def feed_choices(feeds: dict[int, tuple[Feed, list[Subscription]]], current: str,
                 ) -> list[app_commands.Choice[str]]:
    needle = current.casefold().strip()
    choices = []
    for feed, _subs in feeds.values():
        label = f"#{feed.id} {feed.display_name}"
        if needle and needle not in label.casefold() and needle not in feed.url.casefold():
            continue
        if feed.disabled:
            label += " (disabled)"
        choices.append(app_commands.Choice(name=label[:100], value=str(feed.id)))
    return choices[:25]


async def reply(interaction: discord.Interaction, content: str | None = None, *,
                embed: discord.Embed | None = None, ephemeral: bool = True) -> None:
    """Answer whether or not the interaction was deferred already (see `errors.answer`)."""
    await answer(interaction, content, embed=embed, ephemeral=ephemeral)


def pick_subscriptions(subs: list[Subscription], channel: discord.abc.GuildChannel | None,
                       feed: Feed) -> list[Subscription]:
    """The subscriptions a per-channel command applies to: the one in `channel`, or all when not given."""
    if channel is None:
        return subs
    picked = [s for s in subs if s.channel_id == channel.id]
    if not picked:
        raise UserError(f"**{fit(feed.display_name, 200)}** is not posted in <#{channel.id}>; "
                        "see `/feed list`.")
    return picked


def one_subscription(subs: list[Subscription], channel: discord.abc.GuildChannel | None,
                     feed: Feed) -> Subscription:
    """The single subscription a command acts on; with several channels the `channel` option is needed."""
    picked = pick_subscriptions(subs, channel, feed)
    if len(picked) > 1:
        channels = ", ".join(f"<#{s.channel_id}>" for s in picked[:10])
        raise UserError(f"**{fit(feed.display_name, 200)}** is posted in {channels}; "
                        "pick one with the `channel` option.")
    return picked[0]
