"""Notices for guilds' log channels, written by whichever process noticed and sent by a Discord process.

An ingest process has no Discord connection, so what it must tell a guild (a subscription filter that ran
out of time on a story, a feed disabled after failures) goes through the store; the Discord process on the
guild's shard sends it with its delivery tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import Feed
from bot.store import Store
from bot.work.delivery import Outcome, RetryLater, Sink

log = logging.getLogger(__name__)


MAX_NOTICE_ATTEMPTS = 12
"""A notice Discord keeps failing for this many tries (16 hours of back-off from one minute to four hours) is
dropped, with an error in the log."""
NOTICE_BACKOFF_MAX = 4 * 3600.0


async def send_notices(store: Store, sink: Sink, *, now: datetime, limit: int = 20,
                       shard_count: int | None = None, shard_ids: Sequence[int] | None = None) -> int:
    """Send up to `limit` due notices; returns how many were taken. A send that fails for a reason that can
    pass (Discord down, a timeout) is retried with back-off, so a notice (every story given up is one when
    the log channel could not be told at once) survives an outage."""
    notices = await store.take_notices(now=now, limit=limit, shard_count=shard_count, shard_ids=shard_ids)
    for notice in notices:
        try:
            outcome: Outcome = await sink.post_notice(notice)
        except Exception as exc:
            log.exception("notice %s for guild %s not sent", notice.id, notice.guild_id)
            outcome = RetryLater(f"{type(exc).__name__}: {exc}"[:300], 60.0)
        if isinstance(outcome, RetryLater) and notice.attempts + 1 < MAX_NOTICE_ATTEMPTS:
            wait = min(max(outcome.after_seconds, 60.0) * 2 ** notice.attempts, NOTICE_BACKOFF_MAX)
            await store.retry_notice(notice.id, retry_at=now + timedelta(seconds=wait))
            continue
        if isinstance(outcome, RetryLater):
            log.error("gave up notice %s for guild %s after %s attempts: %s (%s)", notice.id, notice.guild_id,
                      notice.attempts + 1, outcome.error, notice.text[:300])
        await store.notice_sent(notice.id, now=now)
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
