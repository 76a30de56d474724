"""/digest: a daily summary of the day's biggest stories, posted at a local time of the server's choosing."""

from __future__ import annotations

import dataclasses

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._shared import UserError, defer, guild_id, news_bot, post_channel_id, reply
from bot.models import DigestSchedule
from bot.status import plural
from bot.work.delivery import Delivered, Refused, RetryLater
from bot.work.digests import (
    DEFAULT_LOOKBACK,
    ScheduleError,
    _zones,
    format_time_of_day,
    next_due,
    parse_time_of_day,
    validate_timezone,
)

manage_guild = app_commands.checks.has_permissions(manage_guild=True)


async def timezone_autocomplete(interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower().replace(" ", "_")
    names = sorted(name for key, name in _zones().items() if needle in key)
    return [app_commands.Choice(name=n, value=n) for n in names[:25]]


def _channel_id(interaction: discord.Interaction, channel: discord.TextChannel | None) -> int:
    """The channel a digest is turned off in: any channel, so one set up before the checks can still be."""
    cid = channel.id if channel is not None else interaction.channel_id
    if cid is None:
        raise UserError("Pick the channel with the `channel` option.")
    return cid


class Digest(commands.Cog):
    digest = app_commands.Group(name="digest", description="A daily digest of the top stories",
                                guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    @digest.command(name="schedule", description="Post a daily digest at a local time")
    @app_commands.describe(time="Local time, 24-hour HH:MM (e.g. 07:30)",
                           timezone="IANA time zone, e.g. Europe/Paris or America/New_York",
                           channel="Where to post it (default: this channel)")
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @manage_guild
    async def schedule(self, interaction: discord.Interaction, time: str, timezone: str,
                       channel: discord.TextChannel | None = None) -> None:
        gid = guild_id(interaction)
        cid = post_channel_id(interaction, channel)
        try:
            wall = format_time_of_day(parse_time_of_day(time))
            zone = validate_timezone(timezone)
        except ScheduleError as exc:
            raise UserError(str(exc)) from None
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        bot = news_bot(interaction)
        due = next_due(wall, zone, bot.clock())
        await bot.store.set_digest(gid, cid, time_of_day=wall, timezone=zone, next_due_at=due)
        stamp = int(due.timestamp())
        await reply(interaction, f"Daily digest in <#{cid}> at {wall} ({zone}). The next one is "
                                 f"<t:{stamp}:F> (<t:{stamp}:R>).")

    @digest.command(name="off", description="Stop a channel's daily digest")
    @app_commands.describe(channel="The channel (default: this channel)")
    @manage_guild
    async def off(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        cid = _channel_id(interaction, channel)
        await defer(interaction, ephemeral=True)  # the database is shared with ingest: never risk the 3 s
        store = news_bot(interaction).store
        existing = await store.get_digest(cid)
        if existing is None or existing.guild_id != guild_id(interaction):
            raise UserError(f"<#{cid}> has no daily digest.")
        await store.remove_digest(cid)
        await reply(interaction, f"Daily digest in <#{cid}> turned off.")

    @digest.command(name="now", description="Post the digest now (stories since the last one)")
    @app_commands.describe(channel="The channel (default: this channel)")
    @manage_guild
    async def now(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        gid = guild_id(interaction)
        cid = post_channel_id(interaction, channel)
        await defer(interaction, ephemeral=True)
        bot = news_bot(interaction)
        now = bot.clock()
        existing = await bot.store.get_digest(cid)
        if existing is not None and existing.guild_id != gid:
            existing = None
        schedule = existing or DigestSchedule(guild_id=gid, channel_id=cid, time_of_day="00:00",
                                              timezone="UTC", next_due_at=now)
        since = schedule.last_sent_at or now - DEFAULT_LOOKBACK
        stories = await bot.store.digest_stories(cid, since=since, limit=bot.settings.digest.max_stories)
        if not stories:
            await reply(interaction, f"No new stories for <#{cid}> since <t:{int(since.timestamp())}:R>.")
            return
        # Its own slot (and so its own nonce): a manual digest must not be mistaken for the scheduled one.
        outcome = await bot.sink.post_digest(dataclasses.replace(schedule, next_due_at=now), stories)
        match outcome:
            case Delivered():
                if existing is not None:  # the next scheduled digest starts after these stories
                    await bot.store.mark_digest_sent(cid, sent_at=now, next_due_at=existing.next_due_at)
                await reply(interaction, f"Posted a digest of {plural(len(stories), 'story', 'stories')} in <#{cid}>.")
            case RetryLater(error=error):
                raise UserError(f"Discord didn't take the digest ({error}); try again in a minute.")
            case Refused(error=error):
                raise UserError(f"Discord refused the digest ({error}).")
            case _:
                raise UserError(f"I can't post in <#{cid}>: {getattr(outcome, 'reason', 'unknown')}. "
                                "Check my permissions there.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Digest())
