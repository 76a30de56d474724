"""Per-subscription delivery settings, pausing with catch-up, moving a subscription, channel webhooks, on
PostgreSQL: the SQLite store's methods (bot/store/sqlite/post_settings.py) statement for statement."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

import asyncpg

from bot.models import ADMIN_PAUSE, Feed, PostSettings, StoryView, Subscription
from bot.store.errors import StoreError
from bot.store.filtering import passing_stories
from bot.store.postgres.base import PgBase
from bot.store.postgres.rows import Row, feed_from_row, opt_utc, subscription_from_row, ts
from bot.store.postgres.views import load_views

log = logging.getLogger(__name__)

_COLUMNS = ("look", "bullets", "quotes", "colour", "webhook", "thread_per_story", "auto_publish",
            "forum_tag_id", "ping_role_id", "ping_keywords")
_BOOLEANS = frozenset({"quotes", "webhook", "thread_per_story", "auto_publish"})


def settings_from_row(row: Row | None) -> PostSettings:
    if row is None:
        return PostSettings()
    return PostSettings(
        look=row["look"], bullets=row["bullets"], quotes=row["quotes"], colour=row["colour"],
        webhook=row["webhook"], thread_per_story=row["thread_per_story"], auto_publish=row["auto_publish"],
        forum_tag_id=row["forum_tag_id"], ping_role_id=row["ping_role_id"], ping_keywords=row["ping_keywords"],
        paused_at=opt_utc(row["paused_at"]),
    )


class PostSettingsOps(PgBase):
    async def post_settings(self, subscription_id: int) -> PostSettings:
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT * FROM subscription_settings WHERE subscription_id = $1",
                                      subscription_id)
        return settings_from_row(row)

    async def post_settings_many(self, subscription_ids: Collection[int]) -> dict[int, PostSettings]:
        ids = sorted(set(subscription_ids))
        async with self._read() as conn:
            rows = await conn.fetch("SELECT * FROM subscription_settings WHERE subscription_id = ANY($1::bigint[])",
                                    ids)
        found = {int(r["subscription_id"]): settings_from_row(r) for r in rows}
        return {i: found.get(i, PostSettings()) for i in ids}

    async def set_post_settings(self, subscription_id: int, **changes: Any) -> PostSettings:
        """Change some settings of a subscription (keyword names are PostSettings fields); returns all."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise StoreError(f"unknown post settings: {sorted(unknown)}")
        async with self._tx() as conn:
            if await conn.fetchval("SELECT 1 FROM subscriptions WHERE id = $1", subscription_id) is None:
                raise StoreError(f"subscription {subscription_id} does not exist")
            await conn.execute("INSERT INTO subscription_settings (subscription_id) VALUES ($1) "
                               "ON CONFLICT (subscription_id) DO NOTHING", subscription_id)
            for name, value in changes.items():  # names checked against _COLUMNS above
                if name in _BOOLEANS and value is not None:
                    value = bool(value)
                await conn.execute(f"UPDATE subscription_settings SET {name} = $1 WHERE subscription_id = $2",
                                   value, subscription_id)
            row = await conn.fetchrow("SELECT * FROM subscription_settings WHERE subscription_id = $1",
                                      subscription_id)
        return settings_from_row(row)

    async def delivery_context(self, subscription_id: int) -> tuple[Subscription, Feed, PostSettings] | None:
        """What the sink needs to post a subscription's story: the subscription, its feed, its settings."""
        async with self._read() as conn:
            sub = await conn.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
            if sub is None:
                return None
            feed = await conn.fetchrow("SELECT * FROM feeds WHERE id = $1", sub["feed_id"])
            settings = await conn.fetchrow("SELECT * FROM subscription_settings WHERE subscription_id = $1",
                                           subscription_id)
        if feed is None:
            return None
        return subscription_from_row(sub), feed_from_row(feed), settings_from_row(settings)

    async def pause_subscription(self, subscription_id: int, *, now: datetime) -> bool:
        """Stop posting: pending deliveries are cancelled and new stories are not queued until resumed.
        False when it was paused already."""
        now = ts(now)
        async with self._tx() as conn:
            status = await conn.execute("UPDATE subscriptions SET paused = true, paused_reason = $1 "
                                        "WHERE id = $2 AND NOT paused", ADMIN_PAUSE, subscription_id)
            if status.endswith(" 0"):
                return False
            await conn.execute("UPDATE deliveries SET status = 'cancelled', last_error = $1 "
                               "WHERE subscription_id = $2 AND status = 'pending'", ADMIN_PAUSE, subscription_id)
            await conn.execute("INSERT INTO subscription_settings (subscription_id, paused_at) VALUES ($1, $2) "
                               "ON CONFLICT (subscription_id) DO UPDATE SET paused_at = excluded.paused_at",
                               subscription_id, now)
        return True

    async def resume_subscription_missed(self, subscription_id: int, *, now: datetime, missed: int) -> int:
        """Resume a paused subscription; with `missed` > 0 also queue up to that many of the stories its
        feed stored while it was paused (filters apply), newest first. Returns how many were queued.

        The missed stories are picked before the write transaction, their filters run in a worker thread;
        if the subscription's filters or pause changed in between, it is resumed without them."""
        now = ts(now)
        picked: list[int] = []
        async with self._read() as conn:
            sub = await conn.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
            if sub is None:
                raise StoreError(f"subscription {subscription_id} does not exist")
            since = await conn.fetchval("SELECT paused_at FROM subscription_settings WHERE subscription_id = $1",
                                        subscription_id)
            if missed > 0 and since is not None:
                picked = await self._missed_stories(conn, sub, since, missed)
        async with self._tx() as conn:
            current = await conn.fetchrow("SELECT * FROM subscriptions WHERE id = $1 FOR UPDATE", subscription_id)
            if current is None:
                raise StoreError(f"subscription {subscription_id} does not exist")
            paused_at = await conn.fetchval("SELECT paused_at FROM subscription_settings "
                                            "WHERE subscription_id = $1", subscription_id)
            await conn.execute("UPDATE subscriptions SET paused = false, paused_reason = NULL WHERE id = $1",
                               subscription_id)
            await conn.execute("UPDATE subscription_settings SET paused_at = NULL WHERE subscription_id = $1",
                               subscription_id)
            if missed <= 0 or paused_at is None:
                return 0
            if (paused_at, current["include"], current["exclude"]) != (since, sub["include"], sub["exclude"]):
                log.info("subscription %s changed while resuming; its missed stories are not queued",
                         subscription_id)
                return 0
            queued = 0
            for story_id in picked:
                await conn.execute("DELETE FROM deliveries WHERE channel_id = $1 AND story_id = $2 "
                                   "AND status = 'cancelled'", current["channel_id"], story_id)
                status = await conn.execute(
                    "INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                    "created_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (channel_id, story_id) DO NOTHING",
                    current["guild_id"], current["channel_id"], subscription_id, story_id, now)
                queued += int(status.split()[-1])
        return queued

    async def _missed_stories(self, conn: asyncpg.Connection, sub: Row, since: datetime, limit: int) -> list[int]:
        """Newest first, up to `limit` stories passing the subscription's filters (decided in a worker
        thread, not on the event loop)."""
        rows = await conn.fetch("SELECT story_id, title, bullets::text AS bullets, $3::text AS include, "
                                "$4::text AS exclude FROM articles WHERE feed_id = $1 AND created_at >= $2 "
                                "ORDER BY created_at DESC, id DESC", sub["feed_id"], since,
                                sub["include"], sub["exclude"])
        return await passing_stories(rows, limit)

    async def move_subscription(self, guild_id: int, feed_id: int, from_channel: int, to_channel: int) -> bool:
        """Move the guild's subscription to a feed from one channel to another, keeping its settings and
        its pending stories. False when there is none in `from_channel`; StoreError when `to_channel`
        already follows the feed."""
        async with self._tx() as conn:
            sub_id = await conn.fetchval("SELECT id FROM subscriptions WHERE guild_id = $1 AND feed_id = $2 "
                                         "AND channel_id = $3", guild_id, feed_id, from_channel)
            if sub_id is None:
                return False
            if await conn.fetchval("SELECT 1 FROM subscriptions WHERE channel_id = $1 AND feed_id = $2",
                                   to_channel, feed_id) is not None:
                raise StoreError("that channel already follows this feed")
            await conn.execute("UPDATE subscriptions SET channel_id = $1 WHERE id = $2", to_channel, sub_id)
            # A story the target channel already has (from another feed) stays where it was: cancelled.
            await conn.execute(
                "UPDATE deliveries AS d SET channel_id = $1 WHERE d.subscription_id = $2 AND d.status = 'pending' "
                "AND NOT EXISTS (SELECT 1 FROM deliveries AS t WHERE t.channel_id = $1 AND t.story_id = d.story_id)",
                to_channel, sub_id)
            await conn.execute("UPDATE deliveries SET status = 'cancelled', last_error = 'moved' "
                               "WHERE subscription_id = $1 AND channel_id = $2 AND status = 'pending'",
                               sub_id, from_channel)
        return True

    async def guild_feed_count(self, guild_id: int) -> int:
        async with self._read() as conn:
            count = await conn.fetchval("SELECT count(DISTINCT feed_id) FROM subscriptions WHERE guild_id = $1",
                                        guild_id)
        return int(count or 0)

    async def next_delivery_story(self, subscription_id: int) -> int | None:
        """The story the subscription will post next (its oldest pending delivery), if any."""
        async with self._read() as conn:
            found = await conn.fetchval("SELECT story_id FROM deliveries WHERE subscription_id = $1 "
                                        "AND status = 'pending' ORDER BY id LIMIT 1", subscription_id)
        return None if found is None else int(found)

    async def channel_webhook(self, channel_id: int) -> tuple[int, str] | None:
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT webhook_id, token FROM channel_webhooks WHERE channel_id = $1",
                                      channel_id)
        return None if row is None else (int(row[0]), str(row[1]))

    async def set_channel_webhook(self, channel_id: int, webhook: tuple[int, str] | None) -> None:
        async with self._tx() as conn:
            if webhook is None:
                await conn.execute("DELETE FROM channel_webhooks WHERE channel_id = $1", channel_id)
            else:
                await conn.execute("INSERT INTO channel_webhooks (channel_id, webhook_id, token) VALUES ($1, $2, $3) "
                                   "ON CONFLICT (channel_id) DO UPDATE SET webhook_id = excluded.webhook_id, "
                                   "token = excluded.token", channel_id, *webhook)

    async def story_view(self, guild_id: int, story_id: int) -> StoryView | None:
        """One story as `guild_id` sees it (only its own feeds' articles)."""
        async with self._read() as conn:
            views = await load_views(conn, [story_id], guild_id)
        return views.get(story_id)
