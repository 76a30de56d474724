"""Notices for guilds' log channels, written by whichever process noticed and sent by a Discord process.

An ingest process has no Discord connection, so what it must tell a guild (a subscription filter that ran
out of time on a story, a feed disabled after failures) goes through the store; the Discord process on the
guild's shard sends it with its delivery tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.models import Feed
from bot.store import Store
from bot.work.delivery import Sink

log = logging.getLogger(__name__)


async def send_notices(store: Store, sink: Sink, *, now: datetime, limit: int = 20,
                       shard_count: int | None = None, shard_ids: Sequence[int] | None = None) -> int:
    """Send up to `limit` waiting notices; returns how many were taken."""
    notices = await store.take_notices(now=now, limit=limit, shard_count=shard_count, shard_ids=shard_ids)
    for notice in notices:
        try:
            await sink.post_notice(notice)
        except Exception:
            log.exception("notice %s for guild %s not sent", notice.id, notice.guild_id)
    return len(notices)


async def notice_feed_disabled(store: Store, feed: Feed, reason: str, *, now: datetime) -> int:
    """The ingest-only stand-in for the Discord sink's announcement: one notice per following guild."""
    text = (f"⚠️ The feed {feed.display_name} stopped working and is disabled: {reason}. "
            "Check that its URL still serves a feed, then run `/feed enable` to try again.")
    guilds: dict[int, int] = {}
    for sub in await store.feed_subscriptions(feed.id):
        if not sub.paused:
            guilds.setdefault(sub.guild_id, sub.channel_id)
    for guild_id, channel_id in guilds.items():
        await store.add_notice(guild_id, text, now=now, channel_id=channel_id)
    return len(guilds)
