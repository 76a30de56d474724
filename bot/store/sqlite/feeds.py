"""Feeds, the entries seen of each, and subscriptions: each method one unit of work in one thread hop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.models import Feed, Subscription
from bot.store.common import clean_filter
from bot.store.errors import StoreError
from bot.store.sqlite.base import StoreBase, all_rows, changes, chunks, one_row
from bot.store.sqlite.rows import feed_from_row, subscription_from_row, to_db


async def _clean_filters(include: str | None, exclude: str | None) -> tuple[str | None, str | None]:
    """Validation runs user regexes against worst-case probes: CPU work, so off the event loop."""
    if not (include or exclude):
        return None, None
    return await asyncio.to_thread(lambda: (clean_filter(include), clean_filter(exclude)))


def cancel_for_subscriptions(db: sqlite3.Connection, where: str, params: Sequence[object], reason: str) -> None:
    db.execute("UPDATE deliveries SET status = 'cancelled', last_error = ? WHERE status = 'pending' "
               f"AND subscription_id IN (SELECT id FROM subscriptions WHERE {where})", (reason, *params))


class FeedOps(StoreBase):
    # ---- feeds

    async def add_feed(self, url: str, *, title: str | None = None, site_url: str | None = None,
                       poll_interval: int = 900, now: datetime) -> Feed:
        """Idempotent on `url`: returns the existing feed when the URL is already known."""
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> sqlite3.Row | None:
            db.execute("INSERT INTO feeds (url, title, site_url, poll_interval, next_poll_at, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                       (url, title, site_url, poll_interval, now_s, now_s))
            return one_row(db, "SELECT * FROM feeds WHERE url = ?", (url,))

        row = await self._write_sync(unit)
        assert row is not None
        return feed_from_row(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        row = await self._read_sync(one_row, "SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return None if row is None else feed_from_row(row)

    async def get_feed_by_url(self, url: str) -> Feed | None:
        row = await self._read_sync(one_row, "SELECT * FROM feeds WHERE url = ?", (url,))
        return None if row is None else feed_from_row(row)

    async def list_feeds(self) -> list[Feed]:
        return [feed_from_row(r) for r in await self._read_sync(all_rows, "SELECT * FROM feeds ORDER BY id")]

    async def due_feeds(self, now: datetime, limit: int = 100) -> list[Feed]:
        """Enabled feeds with next_poll_at <= now and at least one subscription, oldest due first."""
        rows = await self._read_sync(
            all_rows,
            "SELECT * FROM feeds AS f WHERE f.disabled = 0 AND f.next_poll_at <= ? "
            "AND EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.feed_id = f.id) "
            "ORDER BY f.next_poll_at, f.id LIMIT ?",
            (to_db(now), limit),
        )
        return [feed_from_row(r) for r in rows]

    async def record_poll_success(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  etag: str | None, last_modified: str | None,
                                  title: str | None = None, site_url: str | None = None) -> None:
        """Resets failure_count and last_error; title/site_url update only when given."""
        await self._write_sync(
            changes,
            "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, etag = ?, last_modified = ?, "
            "failure_count = 0, last_error = NULL, title = COALESCE(?, title), lease_owner = NULL, "
            "lease_expires_at = NULL, "
            "site_url = COALESCE(?, site_url) WHERE id = ?",
            (to_db(now), to_db(next_poll_at), etag, last_modified, title, site_url, feed_id),
        )

    async def record_poll_failure(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  error: str, disable: bool) -> Feed:
        """Increments failure_count, stores the error; with disable=True also disables with the reason."""
        params = (to_db(now), to_db(next_poll_at), error, disable, disable, error, feed_id)

        def unit(db: sqlite3.Connection) -> sqlite3.Row | None:
            db.execute(
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, failure_count = failure_count + 1, "
                "last_error = ?, disabled = CASE WHEN ? THEN 1 ELSE disabled END, "
                "disabled_reason = CASE WHEN ? THEN ? ELSE disabled_reason END, lease_owner = NULL, "
                "lease_expires_at = NULL WHERE id = ?", params)
            return one_row(db, "SELECT * FROM feeds WHERE id = ?", (feed_id,))

        row = await self._write_sync(unit)
        if row is None:
            raise StoreError(f"feed {feed_id} does not exist")
        return feed_from_row(row)

    async def set_feed_enabled(self, feed_id: int, enabled: bool, *, now: datetime) -> None:
        """Enabling clears failure_count/disabled_reason and makes the feed due now."""
        if enabled:
            await self._write_sync(changes, "UPDATE feeds SET disabled = 0, disabled_reason = NULL, "
                                            "failure_count = 0, next_poll_at = ? WHERE id = ?", (to_db(now), feed_id))
        else:
            await self._write_sync(changes, "UPDATE feeds SET disabled = 1, "
                                            "disabled_reason = COALESCE(disabled_reason, 'disabled by an admin') "
                                            "WHERE id = ?", (feed_id,))

    async def delete_feed(self, feed_id: int) -> None:
        """Deletes the feed and its subscriptions (their pending deliveries are cancelled); stories stay."""
        def unit(db: sqlite3.Connection) -> None:
            cancel_for_subscriptions(db, "feed_id = ?", (feed_id,), "feed removed")
            db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

        await self._write_sync(unit)

    # ---- entries seen

    async def unseen_guids(self, feed_id: int, guids: Sequence[str]) -> set[str]:
        """The subset of `guids` never recorded for this feed (seen rows or stored articles)."""
        def unit(db: sqlite3.Connection) -> set[str]:
            unseen = set(guids)
            for chunk in chunks(list(unseen), 400):
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT guid FROM seen_entries WHERE feed_id = ? AND guid IN ({marks}) "
                                  f"UNION SELECT guid FROM articles WHERE feed_id = ? AND guid IN ({marks})",
                                  (feed_id, *chunk, feed_id, *chunk))
                unseen.difference_update(r[0] for r in rows)
            return unseen

        return await self._read_sync(unit)

    async def mark_seen(self, feed_id: int, guids: Iterable[str], *, now: datetime) -> None:
        now_s = to_db(now)
        rows = [(feed_id, g, now_s) for g in dict.fromkeys(guids)]

        def unit(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)", rows)

        await self._write_sync(unit)

    async def mark_initialized(self, feed_id: int) -> None:
        await self._write_sync(changes, "UPDATE feeds SET initialized = 1 WHERE id = ?", (feed_id,))

    # ---- subscriptions

    async def subscribe(self, guild_id: int, channel_id: int, feed_id: int, *, now: datetime,
                        include: str | None = None, exclude: str | None = None,
                        max_per_guild: int | None = None) -> Subscription:
        """Idempotent per (channel_id, feed_id): an existing subscription is returned unchanged.
        An invalid filter, or a guild already at `max_per_guild` subscriptions, raises StoreError with the
        reason."""
        include, exclude = await _clean_filters(include, exclude)
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> sqlite3.Row | None:
            if one_row(db, "SELECT 1 FROM feeds WHERE id = ?", (feed_id,)) is None:
                raise StoreError(f"feed {feed_id} does not exist")
            if max_per_guild is not None and one_row(
                    db, "SELECT 1 FROM subscriptions WHERE channel_id = ? AND feed_id = ?",
                    (channel_id, feed_id)) is None:
                row = one_row(db, "SELECT count(*) FROM subscriptions WHERE guild_id = ?", (guild_id,))
                if row is not None and int(row[0]) >= max_per_guild:
                    raise StoreError(f"this server already follows {row[0]} feeds in its channels; the limit is "
                                     f"{max_per_guild}. Remove one with `/feed remove` first.")
            db.execute("INSERT INTO subscriptions (guild_id, channel_id, feed_id, include, exclude, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, feed_id) DO NOTHING",
                       (guild_id, channel_id, feed_id, include, exclude, now_s))
            return one_row(db, "SELECT * FROM subscriptions WHERE channel_id = ? AND feed_id = ?",
                           (channel_id, feed_id))

        row = await self._write_sync(unit)
        assert row is not None
        return subscription_from_row(row)

    async def unsubscribe(self, guild_id: int, feed_id: int, channel_id: int | None = None) -> int:
        """Removes the guild's subscriptions to the feed (in one channel, or all); returns how many.
        Their pending deliveries are cancelled. A feed left with no subscription at all is deleted too."""
        where, params = "guild_id = ? AND feed_id = ?", [guild_id, feed_id]
        if channel_id is not None:
            where += " AND channel_id = ?"
            params.append(channel_id)

        def unit(db: sqlite3.Connection) -> int:
            cancel_for_subscriptions(db, where, params, "unsubscribed")
            removed = db.execute(f"DELETE FROM subscriptions WHERE {where}", params).rowcount
            if removed:
                db.execute("DELETE FROM feeds WHERE id = ? AND NOT EXISTS "
                           "(SELECT 1 FROM subscriptions WHERE feed_id = ?)", (feed_id, feed_id))
            return removed

        return await self._write_sync(unit)

    async def guild_subscriptions(self, guild_id: int) -> list[tuple[Subscription, Feed]]:
        def unit(db: sqlite3.Connection) -> list[tuple[Subscription, Feed]]:
            rows = all_rows(db, "SELECT * FROM subscriptions WHERE guild_id = ? ORDER BY channel_id, feed_id",
                            (guild_id,))
            feeds: dict[int, Feed] = {}
            for chunk in chunks({r["feed_id"] for r in rows}, 400):
                marks = ",".join("?" * len(chunk))
                for f in db.execute(f"SELECT * FROM feeds WHERE id IN ({marks})", chunk):
                    feeds[f["id"]] = feed_from_row(f)
            return [(subscription_from_row(r), feeds[r["feed_id"]]) for r in rows if r["feed_id"] in feeds]

        return await self._read_sync(unit)

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        """Every guild's subscriptions to one feed, for telling them when the feed is disabled."""
        rows = await self._read_sync(all_rows, "SELECT * FROM subscriptions WHERE feed_id = ? "
                                               "ORDER BY guild_id, channel_id", (feed_id,))
        return [subscription_from_row(r) for r in rows]

    async def set_filters(self, subscription_id: int, include: str | None, exclude: str | None) -> None:
        """Empty or None clears a filter; an invalid one raises StoreError with the reason."""
        include, exclude = await _clean_filters(include, exclude)
        changed = await self._write_sync(changes, "UPDATE subscriptions SET include = ?, exclude = ? WHERE id = ?",
                                         (include, exclude, subscription_id))
        if not changed:
            raise StoreError(f"subscription {subscription_id} does not exist")

    async def pause_channel(self, channel_id: int, reason: str) -> int:
        """Pause every subscription of a channel (it is gone or we lack permission); returns how many."""
        return await self._write_sync(changes, "UPDATE subscriptions SET paused = 1, paused_reason = ? "
                                               "WHERE channel_id = ? AND paused = 0", (reason, channel_id))

    async def resume_subscription(self, subscription_id: int) -> None:
        await self._write_sync(changes, "UPDATE subscriptions SET paused = 0, paused_reason = NULL WHERE id = ?",
                               (subscription_id,))
