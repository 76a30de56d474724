"""Per-subscription delivery settings, pausing with catch-up, moving a subscription, channel webhooks.

Plain SQL on two tables of migration 0005, so the methods port to PostgreSQL as they are.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.models import ADMIN_PAUSE, Feed, PostSettings, StoryView, Subscription
from bot.store.errors import StoreError
from bot.store.filtering import passing_stories
from bot.store.sqlite.base import StoreBase, changes, one_row
from bot.store.sqlite.rows import (
    feed_from_row,
    opt_from_db,
    subscription_from_row,
    to_db,
)
from bot.store.sqlite.views import load_views_sync

_COLUMNS = ("look", "bullets", "quotes", "colour", "webhook", "thread_per_story", "auto_publish",
            "forum_tag_id", "ping_role_id", "ping_keywords")

_IDS_PER_STATEMENT = 500  # well under SQLite's bound-parameter limit

log = logging.getLogger(__name__)


def settings_from_row(row: sqlite3.Row | None) -> PostSettings:
    if row is None:
        return PostSettings()
    return PostSettings(
        look=row["look"], bullets=row["bullets"], quotes=bool(row["quotes"]), colour=row["colour"],
        webhook=bool(row["webhook"]), thread_per_story=bool(row["thread_per_story"]),
        auto_publish=bool(row["auto_publish"]), forum_tag_id=row["forum_tag_id"],
        ping_role_id=row["ping_role_id"], ping_keywords=row["ping_keywords"],
        paused_at=opt_from_db(row["paused_at"]),
    )


class PostSettingsOps(StoreBase):
    async def post_settings(self, subscription_id: int) -> PostSettings:
        return settings_from_row(await self._read_sync(_settings_row, subscription_id))

    async def post_settings_many(self, subscription_ids: Collection[int]) -> dict[int, PostSettings]:
        ids = sorted(set(subscription_ids))

        def unit(db: sqlite3.Connection) -> dict[int, PostSettings]:
            found = {}
            for first in range(0, len(ids), _IDS_PER_STATEMENT):
                chunk = ids[first:first + _IDS_PER_STATEMENT]
                rows = db.execute(f"SELECT * FROM subscription_settings WHERE subscription_id IN "
                                  f"({','.join('?' * len(chunk))})", chunk).fetchall()
                found.update({int(r["subscription_id"]): settings_from_row(r) for r in rows})
            return {i: found.get(i, PostSettings()) for i in ids}

        return await self._read_sync(unit)

    async def set_post_settings(self, subscription_id: int, **changed: Any) -> PostSettings:
        """Change some settings of a subscription (keyword names are PostSettings fields); returns all."""
        unknown = set(changed) - set(_COLUMNS)
        if unknown:
            raise StoreError(f"unknown post settings: {sorted(unknown)}")

        def unit(db: sqlite3.Connection) -> sqlite3.Row | None:
            if one_row(db, "SELECT 1 FROM subscriptions WHERE id = ?", (subscription_id,)) is None:
                raise StoreError(f"subscription {subscription_id} does not exist")
            db.execute("INSERT INTO subscription_settings (subscription_id) VALUES (?) "
                       "ON CONFLICT (subscription_id) DO NOTHING", (subscription_id,))
            for name, value in changed.items():  # names checked against _COLUMNS above
                db.execute(f"UPDATE subscription_settings SET {name} = ? WHERE subscription_id = ?",
                           (value, subscription_id))
            return _settings_row(db, subscription_id)

        return settings_from_row(await self._write_sync(unit))

    async def delivery_context(self, subscription_id: int) -> tuple[Subscription, Feed, PostSettings] | None:
        """What the sink needs to post a subscription's story: the subscription, its feed, its settings."""
        def unit(db: sqlite3.Connection) -> tuple[Subscription, Feed, PostSettings] | None:
            sub = one_row(db, "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
            if sub is None:
                return None
            feed = one_row(db, "SELECT * FROM feeds WHERE id = ?", (sub["feed_id"],))
            if feed is None:
                return None
            settings = settings_from_row(_settings_row(db, subscription_id))
            return subscription_from_row(sub), feed_from_row(feed), settings

        return await self._read_sync(unit)

    async def pause_subscription(self, subscription_id: int, *, now: datetime) -> bool:
        """Stop posting: pending deliveries are cancelled and new stories are not queued until resumed.
        False when it was paused already."""
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> bool:
            if not db.execute("UPDATE subscriptions SET paused = 1, paused_reason = ? WHERE id = ? AND paused = 0",
                              (ADMIN_PAUSE, subscription_id)).rowcount:
                return False
            db.execute("UPDATE deliveries SET status = 'cancelled', last_error = ? "
                       "WHERE subscription_id = ? AND status = 'pending'", (ADMIN_PAUSE, subscription_id))
            db.execute("INSERT INTO subscription_settings (subscription_id, paused_at) VALUES (?, ?) "
                       "ON CONFLICT (subscription_id) DO UPDATE SET paused_at = excluded.paused_at",
                       (subscription_id, now_s))
            return True

        return await self._write_sync(unit)

    async def resume_subscription_missed(self, subscription_id: int, *, now: datetime, missed: int) -> int:
        """Resume a paused subscription; with `missed` > 0 also queue up to that many of the stories its
        feed stored while it was paused (filters apply), newest first. Returns how many were queued.

        The missed stories are picked before the write transaction, their filters run in a worker thread;
        if the subscription's filters or pause changed in between, it is resumed without them."""
        sub, since, candidates = await self._read_sync(_missed_candidates, subscription_id, missed)
        picked = await passing_stories(candidates, missed)
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> int:
            current = one_row(db, "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
            if current is None:
                raise StoreError(f"subscription {subscription_id} does not exist")
            paused_at = _paused_at(db, subscription_id)
            db.execute("UPDATE subscriptions SET paused = 0, paused_reason = NULL WHERE id = ?", (subscription_id,))
            db.execute("UPDATE subscription_settings SET paused_at = NULL WHERE subscription_id = ?",
                       (subscription_id,))
            if missed <= 0 or paused_at is None:
                return 0
            if (paused_at, current["include"], current["exclude"]) != (since, sub["include"], sub["exclude"]):
                log.info("subscription %s changed while resuming; its missed stories are not queued",
                         subscription_id)
                return 0
            queued = 0
            for story_id in picked:
                db.execute("DELETE FROM deliveries WHERE channel_id = ? AND story_id = ? AND status = 'cancelled'",
                           (current["channel_id"], story_id))
                queued += db.execute(
                    "INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, story_id) DO NOTHING",
                    (current["guild_id"], current["channel_id"], subscription_id, story_id, now_s, now_s)).rowcount
            return queued

        return await self._write_sync(unit)

    async def move_subscription(self, guild_id: int, feed_id: int, from_channel: int, to_channel: int) -> bool:
        """Move the guild's subscription to a feed from one channel to another, keeping its settings and
        its pending stories. False when there is none in `from_channel`; StoreError when `to_channel`
        already follows the feed."""
        def unit(db: sqlite3.Connection) -> bool:
            sub = one_row(db, "SELECT id FROM subscriptions WHERE guild_id = ? AND feed_id = ? AND channel_id = ?",
                          (guild_id, feed_id, from_channel))
            if sub is None:
                return False
            if one_row(db, "SELECT 1 FROM subscriptions WHERE channel_id = ? AND feed_id = ?",
                       (to_channel, feed_id)) is not None:
                raise StoreError("that channel already follows this feed")
            db.execute("UPDATE subscriptions SET channel_id = ? WHERE id = ?", (to_channel, sub["id"]))
            # A story the target channel already has (from another feed) stays where it was: cancelled.
            db.execute("UPDATE OR IGNORE deliveries SET channel_id = ? WHERE subscription_id = ? "
                       "AND status = 'pending'", (to_channel, sub["id"]))
            db.execute("UPDATE deliveries SET status = 'cancelled', last_error = 'moved' "
                       "WHERE subscription_id = ? AND channel_id = ? AND status = 'pending'", (sub["id"], from_channel))
            return True

        return await self._write_sync(unit)

    async def guild_feed_count(self, guild_id: int) -> int:
        row = await self._read_sync(one_row, "SELECT COUNT(DISTINCT feed_id) FROM subscriptions WHERE guild_id = ?",
                                    (guild_id,))
        return int(row[0]) if row is not None else 0

    async def next_delivery_story(self, subscription_id: int) -> int | None:
        """The story the subscription will post next (its oldest pending delivery), if any."""
        row = await self._read_sync(one_row, "SELECT story_id FROM deliveries WHERE subscription_id = ? "
                                             "AND status = 'pending' ORDER BY id LIMIT 1", (subscription_id,))
        return None if row is None else int(row[0])

    async def channel_webhook(self, channel_id: int) -> tuple[int, str] | None:
        row = await self._read_sync(one_row, "SELECT webhook_id, token FROM channel_webhooks WHERE channel_id = ?",
                                    (channel_id,))
        return None if row is None else (int(row[0]), str(row[1]))

    async def set_channel_webhook(self, channel_id: int, webhook: tuple[int, str] | None) -> None:
        if webhook is None:
            await self._write_sync(changes, "DELETE FROM channel_webhooks WHERE channel_id = ?", (channel_id,))
        else:
            await self._write_sync(changes, "INSERT INTO channel_webhooks (channel_id, webhook_id, token) "
                                            "VALUES (?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                                            "webhook_id = excluded.webhook_id, token = excluded.token",
                                   (channel_id, *webhook))

    async def story_view(self, guild_id: int, story_id: int) -> StoryView | None:
        """One story as `guild_id` sees it (only its own feeds' articles)."""
        views = await self._read_sync(load_views_sync, [story_id], guild_id)
        return views.get(story_id)


def _settings_row(db: sqlite3.Connection, subscription_id: int) -> sqlite3.Row | None:
    return one_row(db, "SELECT * FROM subscription_settings WHERE subscription_id = ?", (subscription_id,))


def _paused_at(db: sqlite3.Connection, subscription_id: int) -> str | None:
    row = one_row(db, "SELECT paused_at FROM subscription_settings WHERE subscription_id = ?", (subscription_id,))
    return None if row is None else row["paused_at"]


def _missed_candidates(db: sqlite3.Connection, subscription_id: int,
                       missed: int) -> tuple[sqlite3.Row, str | None, list[sqlite3.Row]]:
    """The subscription, when it was paused, and (newest first) its feed's articles stored since."""
    sub = one_row(db, "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
    if sub is None:
        raise StoreError(f"subscription {subscription_id} does not exist")
    since = _paused_at(db, subscription_id)
    if missed <= 0 or since is None:
        return sub, since, []
    rows = db.execute("SELECT story_id, title, bullets, ? AS include, ? AS exclude FROM articles "
                      "WHERE feed_id = ? AND created_at >= ? ORDER BY created_at DESC, id DESC",
                      (sub["include"], sub["exclude"], sub["feed_id"], since)).fetchall()
    return sub, since, rows
