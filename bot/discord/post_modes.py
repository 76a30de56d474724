"""Delivery modes of a story post beyond "a message from the bot": forum posts, a thread per story,
a channel webhook named after the feed, auto-publishing in announcement channels.

Kept apart from the sink's error mapping: the sink decides what a failure means; this module only posts.
A missing permission for an optional extra (thread, publish, webhook) never loses the story: the story
goes out without the extra and the guild's log channel is told once what to grant.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import discord

from bot.discord.post_look import NO_MENTIONS, StoryPost
from bot.discord.render import fit_plain, safe_url, truncate
from bot.models import Feed, PostSettings

if TYPE_CHECKING:
    from bot.discord.client import AnyNewsBot

log = logging.getLogger(__name__)

WEBHOOK_NAME = "newsbot"
NOTE_AGAIN_AFTER = 3600.0
RECENT_HISTORY = 50
PUBLISHES_PER_WINDOW, PUBLISH_WINDOW = 10, 3600.0  # Discord: 10 publishes per announcement channel per hour
FORUM_RETRY_WINDOW = timedelta(hours=6)
"""How far back a retried forum post looks for the post it may already have made."""
_EXTRA_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError)


PERMISSION_NAMES = {
    "view_channel": "View Channel", "send_messages": "Send Messages", "embed_links": "Embed Links",
    "read_message_history": "Read Message History", "manage_webhooks": "Manage Webhooks",
    "create_public_threads": "Create Public Threads", "send_messages_in_threads": "Send Messages in Threads",
    "mention_everyone": "Mention @everyone, @here and All Roles",
}


def required_permissions(channel: Any, settings: PostSettings, *, role_mentionable: bool = True) -> list[str]:
    """The permissions (attribute names) a subscription's mode needs in `channel`."""
    needed = ["view_channel", "send_messages"]
    if settings.look != "text":
        needed.append("embed_links")
    if isinstance(channel, discord.ForumChannel):
        return needed  # a forum post's first message is part of creating it: Send Messages covers both
    needed.append("read_message_history")  # the after-restart duplicate check
    if settings.webhook:
        needed.append("manage_webhooks")
    if settings.thread_per_story:
        needed += ["create_public_threads", "send_messages_in_threads"]
    if settings.ping_role_id is not None and not role_mentionable:
        needed.append("mention_everyone")
    return needed


def missing_permissions(channel: Any, settings: PostSettings, *, role_mentionable: bool = True) -> list[str]:
    """Human names of the permissions the bot lacks in `channel` for this subscription's mode."""
    me = getattr(getattr(channel, "guild", None), "me", None)
    if me is None or not isinstance(channel, discord.abc.GuildChannel):
        return []
    perms = channel.permissions_for(me)
    return [PERMISSION_NAMES[p] for p in required_permissions(channel, settings, role_mentionable=role_mentionable)
            if not getattr(perms, p)]


def feed_icon(feed: Feed) -> str | None:
    """The site's favicon, used as the webhook's avatar."""
    parts = urlsplit(feed.site_url or feed.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return safe_url(f"{parts.scheme}://{parts.netloc}/favicon.ico")


async def post_context(store: Any, subscription_id: int | None) -> tuple[PostSettings, Feed | None, bool]:
    """A delivery's subscription settings, feed (defaults when the subscription is gone) and whether the
    subscription is paused now (read just before posting, so a pause stops even a delivery in flight)."""
    if subscription_id is None:
        return PostSettings(), None, False
    context = await store.delivery_context(subscription_id)
    if context is None:
        return PostSettings(), None, False
    sub, feed, settings = context
    return settings, feed, sub.paused


class PostModes:
    """Posting one story in the subscription's mode; one instance per sink (it remembers notes sent)."""

    def __init__(self, bot: AnyNewsBot, *, timeout: float = 30.0) -> None:
        self.bot = bot
        self.timeout = timeout
        self._noted: dict[tuple[int, str], float] = {}
        self._webhooks: dict[int, discord.Webhook] = {}
        self._webhook_recent: dict[int, dict[str, discord.Message]] = {}
        self._found_earlier: set[int] = set()
        self._publishes: dict[int, list[float]] = {}

    async def send(self, channel: Any, post: StoryPost, settings: PostSettings, feed: Feed | None, *,
                   guild_id: int, nonce: int | str | None) -> discord.Message:
        if isinstance(channel, discord.ForumChannel):
            return await self._forum_post(channel, post, settings)
        message: discord.Message | None = None
        if settings.webhook and feed is not None:
            message = await self._via_webhook(channel, post, feed, guild_id)
            if message is not None and message.id in self._found_earlier:
                return message  # posted before a restart, extras included
        if message is None:
            message = await channel.send(post.content, embed=post.embed or discord.utils.MISSING, nonce=nonce,
                                         allowed_mentions=post.allowed_mentions)
        assert message is not None
        if settings.thread_per_story:
            await self._thread(message, post, guild_id)
        if settings.auto_publish and getattr(channel, "type", None) == discord.ChannelType.news:
            await self._publish(message, guild_id)
        return message

    async def _forum_post(self, forum: discord.ForumChannel, post: StoryPost,
                          settings: PostSettings) -> Any:
        """A new forum post titled with the story; the story is its first message.

        Creating a forum post takes no nonce, so a retry after a crash first looks for the bot's own recent
        post with this title among the forum's active threads (which discord.py knows from the gateway).
        """
        earlier = self._recent_forum_post(forum, post.thread_name)
        if earlier is not None:
            log.info("forum %s already has our post %s titled %r; not posting again", forum.id, earlier.id,
                     post.thread_name)
            return earlier
        tags = []
        if settings.forum_tag_id is not None:
            tag = forum.get_tag(settings.forum_tag_id)
            if tag is not None:
                tags.append(tag)
        created = await forum.create_thread(name=post.thread_name, content=post.content,
                                            embed=post.embed or discord.utils.MISSING, applied_tags=tags,
                                            allowed_mentions=post.allowed_mentions)
        return created.message

    def _recent_forum_post(self, forum: discord.ForumChannel, name: str) -> discord.PartialMessage | None:
        me = self.bot.user
        if me is None:
            return None
        cutoff = discord.utils.utcnow() - FORUM_RETRY_WINDOW
        for thread in forum.threads:
            if thread.owner_id == me.id and thread.name == name and discord.utils.snowflake_time(thread.id) > cutoff:
                return thread.get_partial_message(thread.id)  # a forum post's first message has its id
        return None

    async def _via_webhook(self, channel: Any, post: StoryPost, feed: Feed,
                           guild_id: int) -> discord.Message | None:
        """Post through the channel's webhook with the feed's name and icon; None to fall back to the bot."""
        if not isinstance(channel, discord.TextChannel):
            return None
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).manage_webhooks:
            await self.note(guild_id, channel.id, "webhook",
                            f"I need **Manage Webhooks** in <#{channel.id}> to post with the feeds' names and "
                            "icons; until then stories there are posted by me.")
            return None
        try:
            webhook = await self._webhook(channel)
            earlier = await self._webhook_posted_before(channel, webhook.id, post)
            if earlier is not None:
                log.info("webhook %s already posted this story as %s before a restart", webhook.id, earlier.id)
                self._found_earlier.add(earlier.id)
                return earlier
            return await webhook.send(post.content or discord.utils.MISSING,
                                      embed=post.embed or discord.utils.MISSING,
                                      username=fit_plain(feed.display_name, 80) or "News",
                                      avatar_url=feed_icon(feed) or discord.utils.MISSING,
                                      allowed_mentions=post.allowed_mentions, wait=True)
        except discord.NotFound:  # the webhook was deleted: make a new one next time, post as the bot now
            self._webhooks.pop(channel.id, None)
            await self.bot.store.set_channel_webhook(channel.id, None)
            return None
        except discord.Forbidden:
            return None

    async def _webhook_posted_before(self, channel: discord.TextChannel, webhook_id: int,
                                     post: StoryPost) -> discord.Message | None:
        """Our webhook's recent post of this story, read once per channel per process.

        Webhook posts take no nonce; like the sink's check for its own posts, this covers a process that
        died between posting and recording the post.
        """
        if channel.id not in self._webhook_recent:
            found: dict[str, discord.Message] = {}
            try:
                async for message in channel.history(limit=RECENT_HISTORY):
                    if message.webhook_id == webhook_id:
                        found.setdefault(_post_key(message.content, message.embeds), message)
            except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                log.info("recent messages of channel %s not readable (%s)", channel.id, exc)
            self._webhook_recent[channel.id] = found
        return self._webhook_recent[channel.id].pop(_post_key(post.content, [post.embed] if post.embed else []),
                                                    None)

    async def _webhook(self, channel: discord.TextChannel) -> discord.Webhook:
        cached = self._webhooks.get(channel.id)
        if cached is not None:
            return cached
        stored = await self.bot.store.channel_webhook(channel.id)
        if stored is not None:
            webhook = discord.Webhook.partial(stored[0], stored[1], client=self.bot)
        else:
            webhook = await channel.create_webhook(name=WEBHOOK_NAME, reason="newsbot: post with feed names")
            assert webhook.token is not None
            await self.bot.store.set_channel_webhook(channel.id, (webhook.id, webhook.token))
        self._webhooks[channel.id] = webhook
        return webhook

    async def _thread(self, message: discord.Message, post: StoryPost, guild_id: int) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await message.create_thread(name=post.thread_name, auto_archive_duration=1440)
        except _EXTRA_ERRORS as exc:
            log.info("thread for message %s not created: %s", message.id, exc)
            await self.note(guild_id, message.channel.id, "thread",
                            f"I couldn't open a thread under a story in <#{message.channel.id}> ({exc}); "
                            "grant me Create Public Threads and Send Messages in Threads there.")

    async def _publish(self, message: discord.Message, guild_id: int) -> None:
        """Crosspost a story in an announcement channel, within Discord's 10 publishes per channel per hour.

        Not through `message.publish()`: discord.py refuses every request of a bucket whose reset is further
        away than `max_ratelimit_timeout`, and the publish bucket resets hourly, so it would publish one
        story an hour. The budget is kept here instead, so Discord is not asked past it.
        """
        channel_id = message.channel.id
        now = time.monotonic()
        recent = [t for t in self._publishes.get(channel_id, []) if now - t < PUBLISH_WINDOW]
        self._publishes[channel_id] = recent
        if len(recent) >= PUBLISHES_PER_WINDOW:
            log.info("story %s not published: %s publishes in channel %s this hour already", message.id,
                     len(recent), channel_id)
            return
        recent.append(now)
        http = self.bot.http
        url = f"{discord.http.Route.BASE}/channels/{channel_id}/messages/{message.id}/crosspost"
        headers = {"Authorization": f"Bot {http.token}", "User-Agent": http.user_agent}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session, \
                    session.post(url, headers=headers) as resp:
                if resp.status == 429:
                    log.info("story %s not published: Discord's publish limit (%s)", message.id,
                             resp.headers.get("Retry-After"))
                elif resp.status >= 400:
                    text = (await resp.text())[:200]
                    await self.note(guild_id, channel_id, "publish",
                                    f"I couldn't publish a story in <#{channel_id}> (HTTP {resp.status}: {text}).")
        except _EXTRA_ERRORS as exc:
            log.info("story %s not published: %s", message.id, exc)

    async def note(self, guild_id: int, channel_id: int, kind: str, text: str) -> None:
        """Tell the guild's log channel about a mode that fell back, at most once an hour per channel."""
        now = time.monotonic()
        if now - self._noted.get((channel_id, kind), -NOTE_AGAIN_AFTER) < NOTE_AGAIN_AFTER:
            return
        self._noted[(channel_id, kind)] = now
        log.warning("guild %s channel %s: %s", guild_id, channel_id, text)
        log_channel_id = await self.bot.store.get_log_channel(guild_id)
        if log_channel_id is None:
            return
        try:
            target: Any = self.bot.get_channel(log_channel_id) or await self.bot.fetch_channel(log_channel_id)
            async with asyncio.timeout(self.timeout):
                await target.send(truncate(f"⚠️ {text}", 2000), allowed_mentions=NO_MENTIONS)
        except (*_EXTRA_ERRORS, AttributeError) as exc:
            log.info("could not note in log channel %s: %s", log_channel_id, exc)


def _post_key(content: str | None, embeds: list[discord.Embed]) -> str:
    """What identifies a story post: its embed's link, else its text."""
    for embed in embeds:
        if embed.url:
            return embed.url
    return content or ""
