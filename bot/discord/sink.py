"""`Sink` for Discord: posts stories and digests to channels and turns Discord's errors into outcomes.

Idempotency: every story message carries `nonce=delivery.id`; discord.py then sends `enforce_nonce`, and
Discord answers a repeated nonce with the message it already created. So a crash between posting and
recording the delivery retries into the same message, not a second one.

Error mapping (the outbox decides what to do with each outcome, see bot/work/retry.py):
- 5xx, timeouts, connection errors, 429 -> RetryLater: waited out however long Discord is down;
- 403 (Missing Permissions / Access) or 404 Unknown Channel (10003) -> ChannelGone, and the guild's log
  channel is told what happened and how to fix it, because nobody reads the bot's own log;
- any other 404 (Unknown Message: a nonce reused just after its message was deleted, ...) -> a bounded
  RetryLater: the channel is still there, so its subscriptions are not paused;
- any other 4xx -> Refused: this message will never be taken; the outbox gives it up and reports it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.discord.post_look import story_post, text_post_url
from bot.discord.post_modes import PostModes, post_context
from bot.discord.render import digest_messages, escape, fit, truncate
from bot.models import DigestSchedule, Feed, Notice, PendingDelivery, StoryView
from bot.work.delivery import ChannelGone, Delivered, Outcome, Refused, RetryLater, Withdrawn
from bot.work.digests import slot_of

if TYPE_CHECKING:
    from bot.discord.client import AnyNewsBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
NOTIFY_AGAIN_AFTER = 3600.0
"""Seconds before the same channel's problem is reported to the log channel again."""

_MISSING_PERMS = 50013
_MISSING_ACCESS = 50001
_UNKNOWN_CHANNEL = 10003
RECENT_HISTORY = 50
"""Messages read back per channel after a start, to find posts that a crash left unrecorded."""


Sender = Callable[[Any], Awaitable[discord.Message]]


class _Gone(Exception):
    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class DiscordSink:
    """Posts to Discord through `bot`; one instance per bot (it holds the per-channel pacing)."""

    def __init__(self, bot: AnyNewsBot, *, send_timeout: float = 30.0, ready_timeout: float = 120.0,
                 interval: float | None = None) -> None:
        self.bot = bot
        self.send_timeout = send_timeout
        self.ready_timeout = ready_timeout
        self.interval = bot.settings.discord.delivery_interval if interval is None else interval
        self._locks: dict[int, asyncio.Lock] = {}
        self._last_post: dict[int, float] = {}
        self._last_start: dict[int, float] = {}
        self._notified: dict[int, float] = {}
        self._recent_posts: dict[int, dict[str, discord.Message]] = {}
        self.modes = PostModes(bot, timeout=send_timeout)

    # ---------------------------------------------------------------- Sink

    async def deliver(self, delivery: PendingDelivery) -> Outcome:
        settings, feed, paused = await post_context(self.bot.store, delivery.subscription_id)
        if paused:
            return Withdrawn("the feed was paused in this channel")
        post = await asyncio.to_thread(story_post, delivery.story, settings)  # ping keywords may be a /regex/
        post_url = post.embed.url if post.embed is not None else text_post_url(post.content)

        async def send(channel: Any) -> discord.Message:
            if isinstance(channel, discord.abc.Messageable):
                earlier = await self._posted_before_start(channel, post_url)
                if earlier is not None:
                    log.info("delivery %s was already posted as message %s before a restart; not posting again",
                             delivery.id, earlier)
                    return earlier
            return await self.modes.send(channel, post, settings, feed, guild_id=delivery.guild_id,
                                         nonce=delivery.id)

        return await self._post(delivery.guild_id, delivery.channel_id, send, what="stories")

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        messages = digest_messages(stories, title="Daily digest", tz=schedule.timezone, now=self.bot.clock())
        first_content, first_embeds = messages[0]
        nonce = _digest_nonce(schedule)
        posted: list[tuple[discord.abc.Messageable, discord.Message]] = []

        async def send(channel: discord.abc.Messageable) -> discord.Message:
            first = await channel.send(first_content, embeds=first_embeds, nonce=nonce,
                                       allowed_mentions=NO_MENTIONS)
            posted.append((channel, first))
            return first

        outcome = await self._post(schedule.guild_id, schedule.channel_id, send, what="the daily digest")
        if isinstance(outcome, Delivered) and len(messages) > 1 and posted:
            # Once the first message is up the digest is delivered: a failure in the rest must neither
            # report the channel gone nor retry (which would post the first part's overflow twice).
            await self._overflow(*posted[0], messages[1:])
        return outcome

    # ---------------------------------------------------------------- internals

    async def _posted_before_start(self, channel: discord.abc.Messageable, url: str | None) -> discord.Message | None:
        """Our own recent post of this story in the channel, read once per channel per process.

        Discord honours a message nonce for a few minutes only; a process that died between posting and
        recording the post and comes back later would otherwise post the story again. Without the Read
        Message History permission this finds nothing and the nonce is the only guard.
        """
        if url is None or self.bot.user is None:
            return None
        channel_id = getattr(channel, "id", 0)
        if channel_id not in self._recent_posts:
            found: dict[str, discord.Message] = {}
            try:
                async for message in channel.history(limit=RECENT_HISTORY):
                    posted_url = story_post_url(message, self.bot.user.id)
                    if posted_url is not None:
                        found.setdefault(posted_url, message)
            except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                log.info("recent messages of channel %s not readable (%s); relying on nonces", channel_id, exc)
            self._recent_posts[channel_id] = found
        return self._recent_posts[channel_id].pop(url, None)

    def _may_have_posted(self, channel_id: int) -> None:
        """No answer (timeout, 5xx, dropped connection) does not mean no post: read the channel's history
        again before the next try, which may come after Discord's nonce window during a long outage."""
        self._recent_posts.pop(channel_id, None)

    async def _overflow(self, channel: discord.abc.Messageable, first: discord.Message,
                        rest: list[tuple[str, list[discord.Embed]]]) -> None:
        """The rest of a digest in a thread under its first message; in the channel if the thread fails
        (no Create Public Threads, or no Send Messages in Threads). Best effort: failures are logged."""
        target: discord.abc.Messageable = channel
        try:
            async with asyncio.timeout(self.send_timeout):
                target = await first.create_thread(name="More stories from today's digest",
                                                   auto_archive_duration=1440)
        except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.info("digest thread in channel %s not created (%s); posting the rest in the channel",
                     first.channel.id, exc)
        for content, embeds in rest:
            while True:
                try:
                    async with asyncio.timeout(self.send_timeout):
                        await target.send(content or None, embeds=embeds, allowed_mentions=NO_MENTIONS)
                    break
                except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
                    if target is channel:
                        log.warning("rest of the digest in channel %s not posted: %s", first.channel.id, exc)
                        return
                    log.info("digest thread under %s refused a post (%s); posting the rest in the channel",
                             first.id, exc)
                    target = channel

    async def _post(self, guild_id: int, channel_id: int, send: Sender, *, what: str) -> Outcome:
        try:
            await asyncio.wait_for(self.bot.wait_until_ready(), self.ready_timeout)
        except (TimeoutError, RuntimeError):
            return RetryLater("not connected to Discord yet", 30.0)
        lock = self._locks.setdefault(channel_id, asyncio.Lock())
        async with lock:
            await self._pace(channel_id)
            try:
                async with asyncio.timeout(self.send_timeout):
                    channel = await self._channel(channel_id, forum_ok=True)
                    message = await send(channel)
            except _Gone as exc:
                return await self._gone(guild_id, channel_id, exc, what)
            except discord.Forbidden as exc:
                if not exc.code:  # no Discord error code: a proxy or Cloudflare block, not the channel
                    return RetryLater(f"HTTP 403 without a Discord error code: {exc.text}"[:300], 60.0)
                return await self._gone(guild_id, channel_id, _forbidden(exc), what)
            except discord.NotFound as exc:
                if exc.code != _UNKNOWN_CHANNEL:
                    return _not_found_retry(exc)
                problem = _Gone(f"the channel is gone ({exc.text or 'Unknown Channel'})", _DELETED_HINT)
                return await self._gone(guild_id, channel_id, problem, what)
            except discord.RateLimited as exc:
                return RetryLater(f"rate limited by Discord for {exc.retry_after:.0f} s", exc.retry_after)
            except discord.HTTPException as exc:
                if exc.status >= 500:
                    self._may_have_posted(channel_id)
                return _http_retry(exc)
            except TimeoutError:
                self._may_have_posted(channel_id)
                return RetryLater(f"Discord did not answer within {self.send_timeout:g} s", 5.0)
            except (aiohttp.ClientError, OSError) as exc:
                self._may_have_posted(channel_id)
                return RetryLater(f"connection to Discord failed: {type(exc).__name__}: {exc}"[:300], 5.0)
            finally:
                self._last_post[channel_id] = time.monotonic()
        return Delivered(message.id)

    async def announce_feed_disabled(self, feed: Feed, reason: str) -> int:
        """Tell each subscribed guild (its log channel, else the subscribed channels) that a feed stopped.

        Without this a disabled feed just goes quiet, and nobody knows to fix the URL or re-enable it.
        Returns how many messages were posted.
        """
        targets: dict[int, set[int]] = {}
        for sub in await self.bot.store.feed_subscriptions(feed.id):
            if sub.paused:
                continue
            log_channel = await self.bot.store.get_log_channel(sub.guild_id)
            targets.setdefault(sub.guild_id, set()).add(log_channel or sub.channel_id)
        text = truncate(
            f"⚠️ The feed **{escape(feed.display_name)}** stopped working and is disabled: {escape(reason)}. "
            "Check that its URL still serves a feed, then run `/feed enable` to try again.", 2000)
        posted = 0
        for channel_ids in targets.values():
            for channel_id in sorted(channel_ids):
                try:
                    async with asyncio.timeout(self.send_timeout):
                        target = await self._channel(channel_id)
                        await target.send(text, allowed_mentions=NO_MENTIONS)
                    posted += 1
                except (discord.HTTPException, _Gone, TimeoutError, aiohttp.ClientError, OSError) as exc:
                    log.warning("could not announce disabled feed %s in channel %s: %s", feed.id, channel_id, exc)
        return posted

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        """Tell the guild's log channel that something will not be posted, so no story is lost silently.

        Every give-up is reported (unlike channel problems, which are rate limited): each one is a
        story nobody will see. Without a log channel only the bot's log has it.
        """
        log.warning("gave up posting %s in channel %s of guild %s: %s", what, channel_id, guild_id, reason)
        log_channel_id = await self.bot.store.get_log_channel(guild_id)
        if log_channel_id is None:
            log.info("guild %s has no log channel (set one with /feed logchannel)", guild_id)
            return
        text = truncate(f"⚠️ I gave up posting {fit(what, 600)} in <#{channel_id}>: {fit(reason, 400)}.", 2000)
        try:
            async with asyncio.timeout(self.send_timeout):
                target = await self._channel(log_channel_id)
                await target.send(text, allowed_mentions=NO_MENTIONS)
        except (discord.NotFound, discord.Forbidden, _Gone) as exc:
            log.warning("could not tell log channel %s of guild %s: %s", log_channel_id, guild_id, exc)
        except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Discord down or slow: the report waits as a notice, retried with back-off until it is sent.
            log.warning("could not tell log channel %s of guild %s now (%s); it is queued", log_channel_id,
                        guild_id, exc)
            await self.bot.store.add_notice(guild_id, text, now=self.bot.clock(), channel_id=log_channel_id)

    async def post_notice(self, notice: Notice) -> Outcome:
        """A notice written by any process (bot.work.notices) for the guild's log channel."""
        target_id = await self.bot.store.get_log_channel(notice.guild_id) or notice.channel_id
        if target_id is None:
            log.info("guild %s has no log channel for a notice: %s", notice.guild_id, notice.text)
            return ChannelGone("no log channel")
        try:
            async with asyncio.timeout(self.send_timeout):
                target = await self._channel(target_id)
                message = await target.send(truncate(notice.text, 2000), allowed_mentions=NO_MENTIONS)
        except (discord.NotFound, discord.Forbidden, _Gone) as exc:
            log.warning("could not post a notice in channel %s of guild %s: %s", target_id, notice.guild_id, exc)
            return ChannelGone(str(exc)[:300])
        except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("could not post a notice in channel %s of guild %s: %s", target_id, notice.guild_id, exc)
            return RetryLater(str(exc)[:300], 60.0)
        return Delivered(message.id)

    async def _gone(self, guild_id: int, channel_id: int, problem: _Gone, what: str) -> ChannelGone:
        await self._tell_guild(guild_id, channel_id, problem, what)
        return ChannelGone(problem.reason)

    async def _pace(self, channel_id: int) -> None:
        """Start two posts to one channel at least `interval` seconds apart: Discord allows 5 per 5 s each,
        so the default 1 s reaches that rate without bursting (bursts across channels hit the global
        50 requests/s). Start to start, not end to start, or each post's round trip would be lost."""
        last = self._last_start.get(channel_id)
        if last is not None and self.interval > 0:
            wait = last + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_start[channel_id] = time.monotonic()

    async def _channel(self, channel_id: int, *, forum_ok: bool = False) -> Any:
        """The channel to post in; a forum only where the caller posts through `PostModes` (forum posts)."""
        channel: Any = self.bot.get_channel(channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(channel_id)  # NotFound / Forbidden handled by caller
        if forum_ok and isinstance(channel, discord.ForumChannel):
            return channel
        if not isinstance(channel, discord.abc.Messageable):
            raise _Gone("the channel is not a text channel", "Pick a text channel with `/feed add`.")
        return channel

    async def _tell_guild(self, guild_id: int, channel_id: int, gone: _Gone, what: str) -> None:
        """Tell the guild's log channel why a channel stopped getting posts; at most once an hour each."""
        log.warning("cannot post %s in channel %s of guild %s: %s", what, channel_id, guild_id, gone.reason)
        now = time.monotonic()
        if now - self._notified.get(channel_id, -NOTIFY_AGAIN_AFTER) < NOTIFY_AGAIN_AFTER:
            return
        log_channel_id = await self.bot.store.get_log_channel(guild_id)
        if log_channel_id is None or log_channel_id == channel_id:
            log.info("guild %s has no usable log channel (set one with /feed logchannel)", guild_id)
            return
        self._notified[channel_id] = now
        text = truncate(f"⚠️ I can't post {what} in <#{channel_id}>: {gone.reason}. {gone.hint}", 2000)
        try:
            async with asyncio.timeout(self.send_timeout):
                target = await self._channel(log_channel_id)
                await target.send(text, allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, _Gone, TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("could not tell log channel %s of guild %s: %s", log_channel_id, guild_id, exc)


def story_post_url(message: discord.Message, bot_id: int) -> str | None:
    """The story URL when `message` is one of the bot's own story posts, else None.

    A story post is a message the bot sent itself (no webhook, no interaction) holding one embed, the
    story's, and it is not part of a digest; or, for a "text" look, no embed and the story's bold title
    and <link> first (after its role mention, if any). Everything else the bot says in a channel differs: /summarize
    answers (and every other command answer) come through the interaction webhook with interaction
    metadata; a digest message starts with the digest heading or "Part i of n" (see
    render.digest_messages); notices have no embed. So a member summarizing a URL, or a digest listing it,
    is never taken for the story's post (which would record the story delivered and never post it).
    """
    if message.author.id != bot_id or message.webhook_id is not None or message.interaction_metadata is not None:
        return None
    if message.type is not discord.MessageType.default:
        return None
    if not message.embeds:  # a text-only story post ("look: text"); notices and digests never match
        return text_post_url(message.content)
    if len(message.embeds) != 1:
        return None
    if message.content.startswith(_DIGEST_STARTS) or _DIGEST_PART.match(message.content):
        return None
    return message.embeds[0].url


_DIGEST_STARTS = ("📰",)
_DIGEST_PART = re.compile(r"Part \d+ of \d+\Z")


_DELETED_HINT = ("Its subscriptions are paused. Add the feeds to another channel with `/feed add`, or "
                 "remove them with `/feed remove`.")
_PERMS_HINT = ("Give me View Channel, Send Messages and Embed Links there, then run `/feed enable` for each "
               "of its feeds to resume them.")


def _forbidden(exc: discord.Forbidden) -> _Gone:
    if exc.code == _MISSING_ACCESS:
        return _Gone("I can't see that channel (missing View Channel permission)", _PERMS_HINT)
    return _Gone("missing Send Messages/Embed Links permission", _PERMS_HINT)


def _not_found_retry(exc: discord.NotFound) -> RetryLater:
    """A 404 that is not Unknown Channel: the channel still exists (Discord also answers 404 for a nonce
    reused shortly after its message was deleted). Tried again a bounded number of times."""
    return RetryLater(f"Discord answered 404 ({exc.code}: {exc.text})"[:300], 30.0, bounded=True)


def _http_retry(exc: discord.HTTPException) -> RetryLater | Refused:
    status = exc.status
    if status == 429:
        after = 5.0
        try:
            after = float(exc.response.headers.get("Retry-After") or after)
        except (TypeError, ValueError, AttributeError):
            pass
        return RetryLater(f"rate limited by Discord (HTTP 429), retry in {after:g} s", after)
    if status >= 500 or status in (401, 408):
        # 401: the token is being replaced or Discord lost it; nothing wrong with this message.
        return RetryLater(f"Discord error HTTP {status}", 5.0)
    # Another 4xx is a message Discord refuses (a bug on our side): the same message is refused again.
    return Refused(f"Discord refused the message: HTTP {status} {exc.code} {exc.text}"[:300])


def _digest_nonce(schedule: DigestSchedule) -> str:
    """Same schedule slot and same last send -> same nonce, so a digest re-posted after a crash, or retried
    after a timeout and its back-off (which moves next_due_at), is not doubled."""
    try:
        slot = slot_of(schedule.time_of_day, schedule.timezone, schedule.next_due_at)
    except (ValueError, KeyError):  # a schedule this code cannot read: the due time is the next best key
        slot = schedule.next_due_at
    last = schedule.last_sent_at.isoformat() if schedule.last_sent_at else "-"
    key = f"{schedule.channel_id}:{slot.isoformat()}:{last}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:25]
