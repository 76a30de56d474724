"""`SQLiteStore`, the SQLite implementation of `bot.store.Store`: opening, migrations, feeds,
subscriptions, the outbox, digests and settings. Articles, stories and lookups live in `bot.store.sqlite.articles`.

The database is one file in WAL mode: readers (a backup, `sqlite3` at the shell) never block the bot, and
synchronous=NORMAL is durable across a process crash (a power cut may lose the last transactions, never
corrupt the file).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.models import DigestSchedule, Feed, PendingDelivery, Subscription
from bot.store.common import clean_filter
from bot.store.errors import StoreError
from bot.store.sqlite.articles import ArticleOps
from bot.store.sqlite.backup import pre_migration_backup
from bot.store.sqlite.base import chunks, execute, fetchall, fetchone
from bot.store.sqlite.claims import ClaimOps, pending_from_rows
from bot.store.sqlite.dedupe import DedupeOps
from bot.store.sqlite.entries import EntryFailureOps
from bot.store.sqlite.migrate import apply_migrations
from bot.store.sqlite.post_settings import PostSettingsOps
from bot.store.sqlite.rows import digest_from_row, feed_from_row, subscription_from_row, to_db

log = logging.getLogger(__name__)

# busy_timeout first: switching a fresh file to WAL takes a lock that another starting process may hold.
PRAGMAS = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
READ_CONNECTIONS = 3

# Served by the partial index deliveries_pending_order_idx (migration 0002).
PENDING_SQL = ("SELECT id, guild_id, channel_id, subscription_id, story_id, attempts FROM deliveries "
               "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?")


async def _clean_filters(include: str | None, exclude: str | None) -> tuple[str | None, str | None]:
    """Validation runs user regexes against worst-case probes: CPU work, so off the event loop."""
    if not (include or exclude):
        return None, None
    return await asyncio.to_thread(lambda: (clean_filter(include), clean_filter(exclude)))


async def _connect(path: str) -> aiosqlite.Connection:
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from exc
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise StoreError(f"cannot use the database {path}: {exc} (is it a newsbot database?)") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def _close_all(conn: aiosqlite.Connection, others: Sequence[aiosqlite.Connection]) -> None:
    for c in (conn, *others):
        try:
            await c.close()
        except Exception:
            log.debug("closing a connection failed", exc_info=True)


class SQLiteStore(ClaimOps, PostSettingsOps, ArticleOps, DedupeOps, EntryFailureOps):
    """aiosqlite on one file (WAL, foreign keys, FTS5); migrations applied by `open`."""

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, readers: int = READ_CONNECTIONS) -> SQLiteStore:
        """Open (creating if needed) the database, apply pending migrations in one transaction each."""
        path = str(path)
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot open the database {path}: {exc}") from exc
        conn = await _connect(path)
        opened: list[aiosqlite.Connection] = []
        try:
            version = await apply_migrations(
                conn, before=lambda cur, new: asyncio.to_thread(pre_migration_backup, path, cur, new))
            if path != ":memory:":
                for _ in range(readers):
                    opened.append(await _connect(path))
        except sqlite3.DatabaseError as exc:
            await _close_all(conn, opened)
            raise StoreError(f"cannot use the database {path}: {exc} (is it a newsbot database?)") from exc
        except BaseException:
            await _close_all(conn, opened)
            raise
        log.info("database %s open at schema version %s", path, version)
        return cls(conn, path, opened)

    async def close(self) -> None:
        if self._closed:
            return
        await self._close_connections()

    # ---- feeds

    async def add_feed(self, url: str, *, title: str | None = None, site_url: str | None = None,
                       poll_interval: int = 900, now: datetime) -> Feed:
        """Idempotent on `url`: returns the existing feed when the URL is already known."""
        now_s = to_db(now)
        async with self._tx() as conn:
            await execute(conn, "INSERT INTO feeds (url, title, site_url, poll_interval, next_poll_at, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                          (url, title, site_url, poll_interval, now_s, now_s))
            row = await fetchone(conn, "SELECT * FROM feeds WHERE url = ?", (url,))
        assert row is not None
        return feed_from_row(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return None if row is None else feed_from_row(row)

    async def get_feed_by_url(self, url: str) -> Feed | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT * FROM feeds WHERE url = ?", (url,))
        return None if row is None else feed_from_row(row)

    async def list_feeds(self) -> list[Feed]:
        async with self._read() as conn:
            rows = await fetchall(conn, "SELECT * FROM feeds ORDER BY id")
        return [feed_from_row(r) for r in rows]

    async def due_feeds(self, now: datetime, limit: int = 100) -> list[Feed]:
        """Enabled feeds with next_poll_at <= now and at least one subscription, oldest due first."""
        async with self._read() as conn:
            rows = await fetchall(
                conn,
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
        async with self._tx() as conn:
            await execute(
                conn,
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, etag = ?, last_modified = ?, "
                "failure_count = 0, last_error = NULL, title = COALESCE(?, title), lease_owner = NULL, "
                "lease_expires_at = NULL, "
                "site_url = COALESCE(?, site_url) WHERE id = ?",
                (to_db(now), to_db(next_poll_at), etag, last_modified, title, site_url, feed_id),
            )

    async def record_poll_failure(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  error: str, disable: bool) -> Feed:
        """Increments failure_count, stores the error; with disable=True also disables with the reason."""
        async with self._tx() as conn:
            await execute(
                conn,
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, failure_count = failure_count + 1, "
                "last_error = ?, disabled = CASE WHEN ? THEN 1 ELSE disabled END, "
                "disabled_reason = CASE WHEN ? THEN ? ELSE disabled_reason END, lease_owner = NULL, "
                "lease_expires_at = NULL WHERE id = ?",
                (to_db(now), to_db(next_poll_at), error, disable, disable, error, feed_id),
            )
            row = await fetchone(conn, "SELECT * FROM feeds WHERE id = ?", (feed_id,))
        if row is None:
            raise StoreError(f"feed {feed_id} does not exist")
        return feed_from_row(row)

    async def set_feed_enabled(self, feed_id: int, enabled: bool, *, now: datetime) -> None:
        """Enabling clears failure_count/disabled_reason and makes the feed due now."""
        async with self._tx() as conn:
            if enabled:
                await execute(conn, "UPDATE feeds SET disabled = 0, disabled_reason = NULL, failure_count = 0, "
                                    "next_poll_at = ? WHERE id = ?", (to_db(now), feed_id))
            else:
                await execute(conn, "UPDATE feeds SET disabled = 1, "
                                    "disabled_reason = COALESCE(disabled_reason, 'disabled by an admin') "
                                    "WHERE id = ?", (feed_id,))

    async def delete_feed(self, feed_id: int) -> None:
        """Deletes the feed and its subscriptions (their pending deliveries are cancelled); stories stay."""
        async with self._tx() as conn:
            await self._cancel_for_subscriptions(conn, "feed_id = ?", (feed_id,), "feed removed")
            await execute(conn, "DELETE FROM feeds WHERE id = ?", (feed_id,))

    # ---- entries seen

    async def unseen_guids(self, feed_id: int, guids: Sequence[str]) -> set[str]:
        """The subset of `guids` never recorded for this feed (seen rows or stored articles)."""
        unseen = set(guids)
        async with self._read() as conn:
            for chunk in chunks(list(unseen), 400):
                marks = ",".join("?" * len(chunk))
                rows = await fetchall(
                    conn,
                    f"SELECT guid FROM seen_entries WHERE feed_id = ? AND guid IN ({marks}) "
                    f"UNION SELECT guid FROM articles WHERE feed_id = ? AND guid IN ({marks})",
                    (feed_id, *chunk, feed_id, *chunk),
                )
                unseen.difference_update(r[0] for r in rows)
        return unseen

    async def mark_seen(self, feed_id: int, guids: Iterable[str], *, now: datetime) -> None:
        now_s = to_db(now)
        async with self._tx() as conn:
            await conn.executemany("INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)",
                                   [(feed_id, g, now_s) for g in dict.fromkeys(guids)])

    async def mark_initialized(self, feed_id: int) -> None:
        async with self._tx() as conn:
            await execute(conn, "UPDATE feeds SET initialized = 1 WHERE id = ?", (feed_id,))

    # ---- subscriptions

    async def subscribe(self, guild_id: int, channel_id: int, feed_id: int, *, now: datetime,
                        include: str | None = None, exclude: str | None = None,
                        max_per_guild: int | None = None) -> Subscription:
        """Idempotent per (channel_id, feed_id): an existing subscription is returned unchanged.
        An invalid filter, or a guild already at `max_per_guild` subscriptions, raises StoreError with the
        reason."""
        include, exclude = await _clean_filters(include, exclude)
        async with self._tx() as conn:
            if await fetchone(conn, "SELECT 1 FROM feeds WHERE id = ?", (feed_id,)) is None:
                raise StoreError(f"feed {feed_id} does not exist")
            if max_per_guild is not None and await fetchone(
                    conn, "SELECT 1 FROM subscriptions WHERE channel_id = ? AND feed_id = ?",
                    (channel_id, feed_id)) is None:
                row = await fetchone(conn, "SELECT count(*) FROM subscriptions WHERE guild_id = ?", (guild_id,))
                if row is not None and int(row[0]) >= max_per_guild:
                    raise StoreError(f"this server already follows {row[0]} feeds in its channels; the limit is "
                                     f"{max_per_guild}. Remove one with `/feed remove` first.")
            await execute(conn, "INSERT INTO subscriptions (guild_id, channel_id, feed_id, include, exclude, "
                                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, feed_id) DO NOTHING",
                          (guild_id, channel_id, feed_id, include, exclude, to_db(now)))
            row = await fetchone(conn, "SELECT * FROM subscriptions WHERE channel_id = ? AND feed_id = ?",
                                 (channel_id, feed_id))
        assert row is not None
        return subscription_from_row(row)

    async def unsubscribe(self, guild_id: int, feed_id: int, channel_id: int | None = None) -> int:
        """Removes the guild's subscriptions to the feed (in one channel, or all); returns how many.
        Their pending deliveries are cancelled. A feed left with no subscription at all is deleted too."""
        where, params = "guild_id = ? AND feed_id = ?", [guild_id, feed_id]
        if channel_id is not None:
            where += " AND channel_id = ?"
            params.append(channel_id)
        async with self._tx() as conn:
            await self._cancel_for_subscriptions(conn, where, params, "unsubscribed")
            removed = await execute(conn, f"DELETE FROM subscriptions WHERE {where}", params)
            if removed:
                await execute(conn, "DELETE FROM feeds WHERE id = ? AND NOT EXISTS "
                                    "(SELECT 1 FROM subscriptions WHERE feed_id = ?)", (feed_id, feed_id))
        return removed

    async def _cancel_for_subscriptions(self, conn: aiosqlite.Connection, where: str, params: Sequence[object],
                                        reason: str) -> None:
        await execute(conn, "UPDATE deliveries SET status = 'cancelled', last_error = ? WHERE status = 'pending' "
                            f"AND subscription_id IN (SELECT id FROM subscriptions WHERE {where})",
                      (reason, *params))

    async def guild_subscriptions(self, guild_id: int) -> list[tuple[Subscription, Feed]]:
        async with self._read() as conn:
            rows = await fetchall(conn, "SELECT * FROM subscriptions WHERE guild_id = ? "
                                        "ORDER BY channel_id, feed_id", (guild_id,))
            feeds: dict[int, Feed] = {}
            for chunk in chunks({r["feed_id"] for r in rows}, 400):
                marks = ",".join("?" * len(chunk))
                for f in await fetchall(conn, f"SELECT * FROM feeds WHERE id IN ({marks})", chunk):
                    feeds[f["id"]] = feed_from_row(f)
        return [(subscription_from_row(r), feeds[r["feed_id"]]) for r in rows if r["feed_id"] in feeds]

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        """Every guild's subscriptions to one feed, for telling them when the feed is disabled."""
        async with self._read() as conn:
            rows = await fetchall(conn, "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY guild_id, channel_id",
                                  (feed_id,))
        return [subscription_from_row(r) for r in rows]

    async def set_filters(self, subscription_id: int, include: str | None, exclude: str | None) -> None:
        """Empty or None clears a filter; an invalid one raises StoreError with the reason."""
        include, exclude = await _clean_filters(include, exclude)
        async with self._tx() as conn:
            changed = await execute(conn, "UPDATE subscriptions SET include = ?, exclude = ? WHERE id = ?",
                                    (include, exclude, subscription_id))
        if not changed:
            raise StoreError(f"subscription {subscription_id} does not exist")

    async def pause_channel(self, channel_id: int, reason: str) -> int:
        """Pause every subscription of a channel (it is gone or we lack permission); returns how many."""
        async with self._tx() as conn:
            return await execute(conn, "UPDATE subscriptions SET paused = 1, paused_reason = ? "
                                       "WHERE channel_id = ? AND paused = 0", (reason, channel_id))

    async def resume_subscription(self, subscription_id: int) -> None:
        async with self._tx() as conn:
            await execute(conn, "UPDATE subscriptions SET paused = 0, paused_reason = NULL WHERE id = ?",
                          (subscription_id,))

    # ---- delivery outbox

    async def pending_deliveries(self, now: datetime, limit: int = 50) -> list[PendingDelivery]:
        """Pending rows whose next_attempt_at <= now, oldest first."""
        async with self._read() as conn:
            rows = await fetchall(conn, PENDING_SQL, (to_db(now), limit))
            return await pending_from_rows(conn, rows)

    async def mark_delivered(self, delivery_id: int, message_id: int, *, now: datetime) -> None:
        async with self._tx() as conn:
            await execute(conn, "UPDATE deliveries SET status = 'delivered', message_id = ?, delivered_at = ?, "
                                "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                          (message_id, to_db(now), delivery_id))

    async def mark_delivery_failed(self, delivery_id: int, error: str, *, now: datetime,
                                   retry_at: datetime | None) -> None:
        """retry_at=None gives the delivery up (status 'failed'); otherwise attempts+1 and retried then.
        Only a still-pending row changes: one cancelled or delivered meanwhile keeps its status."""
        async with self._tx() as conn:
            if retry_at is None:
                await execute(conn, "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                                    "last_error = ? WHERE id = ? AND status = 'pending'", (error, delivery_id))
            else:
                await execute(conn, "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                                    "next_attempt_at = ? WHERE id = ? AND status = 'pending'",
                              (error, to_db(retry_at), delivery_id))

    async def hold_channel_deliveries(self, channel_id: int, until: datetime) -> int:
        """Make every pending delivery of a channel wait until at least `until`: while its first story waits
        out a failure, the later ones must not overtake it (nor run into the same outage)."""
        async with self._tx() as conn:
            return await execute(conn, "UPDATE deliveries SET next_attempt_at = ? WHERE channel_id = ? "
                                       "AND status = 'pending' AND next_attempt_at < ?",
                                 (to_db(until), channel_id, to_db(until)))

    async def cancel_channel_deliveries(self, channel_id: int, reason: str) -> int:
        """Give up every pending delivery of a channel (paused or gone)."""
        async with self._tx() as conn:
            return await execute(conn, "UPDATE deliveries SET status = 'cancelled', last_error = ? "
                                       "WHERE channel_id = ? AND status = 'pending'", (reason, channel_id))

    # ---- digests

    async def set_digest(self, guild_id: int, channel_id: int, *, time_of_day: str, timezone: str,
                         next_due_at: datetime) -> DigestSchedule:
        async with self._tx() as conn:
            await execute(conn, "INSERT INTO digests (channel_id, guild_id, time_of_day, timezone, next_due_at) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                                "guild_id = excluded.guild_id, time_of_day = excluded.time_of_day, "
                                "timezone = excluded.timezone, next_due_at = excluded.next_due_at",
                          (channel_id, guild_id, time_of_day, timezone, to_db(next_due_at)))
            row = await fetchone(conn, "SELECT * FROM digests WHERE channel_id = ?", (channel_id,))
        assert row is not None
        return digest_from_row(row)

    async def remove_digest(self, channel_id: int) -> bool:
        async with self._tx() as conn:
            return await execute(conn, "DELETE FROM digests WHERE channel_id = ?", (channel_id,)) > 0

    async def get_digest(self, channel_id: int) -> DigestSchedule | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT * FROM digests WHERE channel_id = ?", (channel_id,))
        return None if row is None else digest_from_row(row)

    async def due_digests(self, now: datetime) -> list[DigestSchedule]:
        async with self._read() as conn:
            rows = await fetchall(conn, "SELECT * FROM digests WHERE next_due_at <= ? ORDER BY next_due_at, "
                                        "channel_id", (to_db(now),))
        return [digest_from_row(r) for r in rows]

    async def mark_digest_sent(self, channel_id: int, *, sent_at: datetime, next_due_at: datetime) -> None:
        async with self._tx() as conn:
            await execute(conn, "UPDATE digests SET last_sent_at = ?, next_due_at = ?, lease_owner = NULL, "
                                "lease_expires_at = NULL WHERE channel_id = ?",
                          (to_db(sent_at), to_db(next_due_at), channel_id))

    async def retry_digest_at(self, channel_id: int, retry_at: datetime) -> None:
        """Put a digest that failed off until `retry_at` (its back-off). Only the due time moves: the digest
        still covers everything since its last send, and the following one is scheduled from when it is
        finally posted."""
        async with self._tx() as conn:
            await execute(conn, "UPDATE digests SET next_due_at = ?, lease_owner = NULL, lease_expires_at = NULL "
                                "WHERE channel_id = ?", (to_db(retry_at), channel_id))

    # ---- guild settings and metadata

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        async with self._tx() as conn:
            await execute(conn, "INSERT INTO guild_settings (guild_id, log_channel_id) VALUES (?, ?) "
                                "ON CONFLICT (guild_id) DO UPDATE SET log_channel_id = excluded.log_channel_id",
                          (guild_id, channel_id))

    async def get_log_channel(self, guild_id: int) -> int | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT log_channel_id FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return None if row is None or row[0] is None else int(row[0])

    async def get_meta(self, key: str) -> str | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        async with self._tx() as conn:
            await execute(conn, "INSERT INTO meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
