"""`PostgresStore`, the PostgreSQL implementation of `bot.store.Store`: opening, migrations, feeds,
subscriptions, the outbox, digests and settings. Articles and lookups are in `articles.py`, the claims of
the work model in `claims.py`.

Semantics are the SQLite store's method for method (the contract tests run both); what differs is only
how: a pool instead of one connection, row locks instead of one write lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.models import DigestSchedule, Feed, PendingDelivery, Subscription
from bot.store.common import clean_filter
from bot.store.errors import StoreError
from bot.store.postgres.base import DRIVER_ERRORS
from bot.store.postgres.claims import ClaimOps
from bot.store.postgres.entries import EntryOps
from bot.store.postgres.migrate import apply_migrations
from bot.store.postgres.post_settings import PostSettingsOps
from bot.store.postgres.rows import digest_from_row, feed_from_row, opt_txt, subscription_from_row, ts, txt
from bot.store.postgres.views import with_views

log = logging.getLogger(__name__)

POOL_SIZE = 10
CLOSE_TIMEOUT = 10.0
PENDING_SQL = ("SELECT id, guild_id, channel_id, subscription_id, story_id, attempts FROM deliveries "
               "WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2")


def redacted(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "the configured PostgreSQL URL"


class PostgresStore(PostSettingsOps, EntryOps, ClaimOps):
    """asyncpg with a connection pool; migrations applied by `open` under an advisory lock."""

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PostgresStore:
        where = redacted(url)
        try:
            # No JIT: every statement here is short, and a plan costed past jit_above_cost (a search at a
            # million stories, measured) spent 60-70 ms compiling for a 10 ms query.
            pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size,
                                             server_settings={"application_name": "newsbot", "jit": "off"})
        except (*DRIVER_ERRORS, ValueError) as exc:
            raise StoreError(f"cannot connect to the database {where}: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                version = await apply_migrations(conn)
                configs = await conn.fetch("SELECT cfgname FROM pg_ts_config "
                                           "WHERE cfgnamespace = 'pg_catalog'::regnamespace")
        except DRIVER_ERRORS as exc:
            await pool.close()
            raise StoreError(f"cannot use the database {where}: {exc}") from exc
        except BaseException:
            pool.terminate()
            raise
        log.info("database %s open at schema version %s", where, version)
        store = cls(pool, where)
        store._available_configs = frozenset(str(r[0]) for r in configs)
        return store

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_TIMEOUT)
        except (TimeoutError, *DRIVER_ERRORS):  # a connection still busy: do not hang the shutdown
            log.warning("closing the database pool timed out; connections terminated")
            self._pool.terminate()

    # ---- feeds

    async def add_feed(self, url: str, *, title: str | None = None, site_url: str | None = None,
                       poll_interval: int = 900, now: datetime) -> Feed:
        """Idempotent on `url`: returns the existing feed when the URL is already known."""
        now, url = ts(now), txt(url)
        async with self._tx() as conn:
            await conn.execute("INSERT INTO feeds (url, title, site_url, poll_interval, next_poll_at, created_at) "
                               "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (url) DO NOTHING",
                               url, opt_txt(title), opt_txt(site_url), poll_interval, now)
            row = await conn.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        assert row is not None
        return feed_from_row(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        return None if row is None else feed_from_row(row)

    async def get_feed_by_url(self, url: str) -> Feed | None:
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT * FROM feeds WHERE url = $1", txt(url))
        return None if row is None else feed_from_row(row)

    async def list_feeds(self) -> list[Feed]:
        async with self._read() as conn:
            rows = await conn.fetch("SELECT * FROM feeds ORDER BY id")
        return [feed_from_row(r) for r in rows]

    async def due_feeds(self, now: datetime, limit: int = 100) -> list[Feed]:
        """Enabled feeds with next_poll_at <= now and at least one subscription, oldest due first."""
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM feeds AS f WHERE NOT f.disabled AND f.next_poll_at <= $1 "
                "AND EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.feed_id = f.id) "
                "ORDER BY f.next_poll_at, f.id LIMIT $2", ts(now), limit)
        return [feed_from_row(r) for r in rows]

    async def record_poll_success(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  etag: str | None, last_modified: str | None,
                                  title: str | None = None, site_url: str | None = None) -> None:
        """Resets failure_count and last_error, clears the lease; title/site_url update only when given."""
        async with self._tx() as conn:
            await conn.execute(
                "UPDATE feeds SET last_polled_at = $1, next_poll_at = $2, etag = $3, last_modified = $4, "
                "failure_count = 0, last_error = NULL, title = COALESCE($5, title), "
                "site_url = COALESCE($6, site_url), lease_owner = NULL, lease_expires_at = NULL WHERE id = $7",
                ts(now), ts(next_poll_at), opt_txt(etag), opt_txt(last_modified), opt_txt(title),
                opt_txt(site_url), feed_id)

    async def record_poll_failure(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                                  error: str, disable: bool) -> Feed:
        """Increments failure_count, stores the error, clears the lease; disable=True also disables."""
        async with self._tx() as conn:
            row = await conn.fetchrow(
                "UPDATE feeds SET last_polled_at = $1, next_poll_at = $2, failure_count = failure_count + 1, "
                "last_error = $3, disabled = disabled OR $4, "
                "disabled_reason = CASE WHEN $4 THEN $3 ELSE disabled_reason END, "
                "lease_owner = NULL, lease_expires_at = NULL WHERE id = $5 RETURNING *",
                ts(now), ts(next_poll_at), txt(error), disable, feed_id)
        if row is None:
            raise StoreError(f"feed {feed_id} does not exist")
        return feed_from_row(row)

    async def set_feed_enabled(self, feed_id: int, enabled: bool, *, now: datetime) -> None:
        """Enabling clears failure_count/disabled_reason and makes the feed due now."""
        now = ts(now)
        async with self._tx() as conn:
            if enabled:
                await conn.execute("UPDATE feeds SET disabled = false, disabled_reason = NULL, failure_count = 0, "
                                   "next_poll_at = $1 WHERE id = $2", now, feed_id)
            else:
                await conn.execute("UPDATE feeds SET disabled = true, "
                                   "disabled_reason = COALESCE(disabled_reason, 'disabled by an admin') "
                                   "WHERE id = $1", feed_id)

    async def delete_feed(self, feed_id: int) -> None:
        """Deletes the feed and its subscriptions (their pending deliveries are cancelled); stories stay."""
        async with self._tx() as conn:
            await self._cancel_for_subscriptions(conn, "feed_id = $1", (feed_id,), "feed removed")
            await conn.execute("DELETE FROM feeds WHERE id = $1", feed_id)

    # ---- entries seen

    async def unseen_guids(self, feed_id: int, guids: Sequence[str]) -> set[str]:
        """The subset of `guids` never recorded for this feed (seen rows or stored articles)."""
        wanted = {g: txt(g) for g in guids}
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT guid FROM seen_entries WHERE feed_id = $1 AND guid = ANY($2::text[]) "
                "UNION SELECT guid FROM articles WHERE feed_id = $1 AND guid = ANY($2::text[])",
                feed_id, list(set(wanted.values())))
        seen = {r[0] for r in rows}
        return {g for g, clean in wanted.items() if clean not in seen}

    async def mark_seen(self, feed_id: int, guids: Iterable[str], *, now: datetime) -> None:
        now = ts(now)
        async with self._tx() as conn:
            await conn.execute("INSERT INTO seen_entries (feed_id, guid, seen_at) "
                               "SELECT $1, g, $3 FROM unnest($2::text[]) AS g ON CONFLICT DO NOTHING",
                               feed_id, list(dict.fromkeys(txt(g) for g in guids)), now)

    async def mark_initialized(self, feed_id: int) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE feeds SET initialized = true WHERE id = $1", feed_id)

    # ---- subscriptions

    async def subscribe(self, guild_id: int, channel_id: int, feed_id: int, *, now: datetime,
                        include: str | None = None, exclude: str | None = None,
                        max_per_guild: int | None = None) -> Subscription:
        """Idempotent per (channel_id, feed_id); an invalid filter, or a guild already at `max_per_guild`
        subscriptions, raises StoreError with the reason."""
        include, exclude = await asyncio.to_thread(
            lambda: (clean_filter(opt_txt(include)), clean_filter(opt_txt(exclude))))  # user regexes: off the loop
        now = ts(now)
        async with self._tx() as conn:
            if await conn.fetchval("SELECT 1 FROM feeds WHERE id = $1 FOR KEY SHARE", feed_id) is None:
                raise StoreError(f"feed {feed_id} does not exist")
            if max_per_guild is not None and await conn.fetchval(
                    "SELECT 1 FROM subscriptions WHERE channel_id = $1 AND feed_id = $2", channel_id, feed_id) is None:
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"subscriptions:{guild_id}")
                count = await conn.fetchval("SELECT count(*) FROM subscriptions WHERE guild_id = $1", guild_id)
                if count >= max_per_guild:
                    raise StoreError(f"this server already follows {count} feeds in its channels; the limit is "
                                     f"{max_per_guild}. Remove one with `/feed remove` first.")
            await conn.execute("INSERT INTO subscriptions (guild_id, channel_id, feed_id, include, exclude, "
                               "created_at) VALUES ($1, $2, $3, $4, $5, $6) "
                               "ON CONFLICT (channel_id, feed_id) DO NOTHING",
                               guild_id, channel_id, feed_id, include, exclude, now)
            row = await conn.fetchrow("SELECT * FROM subscriptions WHERE channel_id = $1 AND feed_id = $2",
                                      channel_id, feed_id)
        assert row is not None
        return subscription_from_row(row)

    async def unsubscribe(self, guild_id: int, feed_id: int, channel_id: int | None = None) -> int:
        """Removes the guild's subscriptions to the feed (in one channel, or all); returns how many.
        Their pending deliveries are cancelled. A feed left with no subscription at all is deleted too."""
        where, params = "guild_id = $1 AND feed_id = $2", [guild_id, feed_id]
        if channel_id is not None:
            where += " AND channel_id = $3"
            params.append(channel_id)
        async with self._tx() as conn:
            await self._cancel_for_subscriptions(conn, where, params, "unsubscribed")
            status = await conn.execute(f"DELETE FROM subscriptions WHERE {where}", *params)
            removed = int(status.split()[-1])
            if removed:
                await conn.execute("DELETE FROM feeds WHERE id = $1 AND NOT EXISTS "
                                   "(SELECT 1 FROM subscriptions WHERE feed_id = $1)", feed_id)
        return removed

    async def _cancel_for_subscriptions(self, conn: asyncpg.Connection, where: str, params: Sequence[object],
                                        reason: str) -> None:
        """`where` numbers its parameters from $1; the reason comes after them."""
        await conn.execute(f"UPDATE deliveries SET status = 'cancelled', last_error = ${len(params) + 1} "
                           f"WHERE status = 'pending' AND subscription_id IN (SELECT id FROM subscriptions "
                           f"WHERE {where})", *params, reason)

    async def guild_subscriptions(self, guild_id: int) -> list[tuple[Subscription, Feed]]:
        async with self._read() as conn:
            rows = await conn.fetch("SELECT s.id AS sub_id, s.guild_id, s.channel_id, s.feed_id, s.include, "
                                    "s.exclude, s.paused, s.paused_reason, f.* FROM subscriptions AS s "
                                    "JOIN feeds AS f ON f.id = s.feed_id WHERE s.guild_id = $1 "
                                    "ORDER BY s.channel_id, s.feed_id", guild_id)
        return [(subscription_from_row({**dict(r), "id": r["sub_id"]}), feed_from_row(r)) for r in rows]

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        async with self._read() as conn:
            rows = await conn.fetch("SELECT * FROM subscriptions WHERE feed_id = $1 ORDER BY guild_id, channel_id",
                                    feed_id)
        return [subscription_from_row(r) for r in rows]

    async def set_filters(self, subscription_id: int, include: str | None, exclude: str | None) -> None:
        """Empty or None clears a filter; an invalid one raises StoreError with the reason."""
        include, exclude = await asyncio.to_thread(  # validation runs the user's regex: off the loop
            lambda: (clean_filter(opt_txt(include)), clean_filter(opt_txt(exclude))))
        async with self._tx() as conn:
            status = await conn.execute("UPDATE subscriptions SET include = $1, exclude = $2 WHERE id = $3",
                                        include, exclude, subscription_id)
        if status.endswith(" 0"):
            raise StoreError(f"subscription {subscription_id} does not exist")

    async def pause_channel(self, channel_id: int, reason: str) -> int:
        async with self._tx() as conn:
            status = await conn.execute("UPDATE subscriptions SET paused = true, paused_reason = $1 "
                                        "WHERE channel_id = $2 AND NOT paused", txt(reason), channel_id)
        return int(status.split()[-1])

    async def resume_subscription(self, subscription_id: int) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE subscriptions SET paused = false, paused_reason = NULL WHERE id = $1",
                               subscription_id)

    # ---- delivery outbox

    async def pending_deliveries(self, now: datetime, limit: int = 50) -> list[PendingDelivery]:
        """Pending rows whose next_attempt_at <= now, oldest first."""
        async with self._read() as conn:
            rows = await conn.fetch(PENDING_SQL, ts(now), limit)
            return await with_views(conn, rows)

    async def mark_delivered(self, delivery_id: int, message_id: int, *, now: datetime) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE deliveries SET status = 'delivered', message_id = $1, delivered_at = $2, "
                               "attempts = attempts + 1, last_error = NULL WHERE id = $3",
                               message_id, ts(now), delivery_id)

    async def mark_delivery_failed(self, delivery_id: int, error: str, *, now: datetime,
                                   retry_at: datetime | None) -> None:
        """retry_at=None gives the delivery up (status 'failed'); otherwise attempts+1 and retried then.
        Only a still-pending row changes: one cancelled or delivered meanwhile keeps its status."""
        ts(now)
        async with self._tx() as conn:
            if retry_at is None:
                await conn.execute("UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                                   "last_error = $1 WHERE id = $2 AND status = 'pending'", txt(error), delivery_id)
            else:
                await conn.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = $1, "
                                   "next_attempt_at = $2 WHERE id = $3 AND status = 'pending'",
                                   txt(error), ts(retry_at), delivery_id)

    async def hold_channel_deliveries(self, channel_id: int, until: datetime) -> int:
        """Make every pending delivery of a channel wait until at least `until`: while its first story waits
        out a failure, the later ones must not overtake it (nor run into the same outage)."""
        until = ts(until)
        async with self._tx() as conn:
            status = await conn.execute("UPDATE deliveries SET next_attempt_at = $1 WHERE channel_id = $2 "
                                        "AND status = 'pending' AND next_attempt_at < $1", until, channel_id)
        return int(status.split()[-1])

    async def cancel_channel_deliveries(self, channel_id: int, reason: str) -> int:
        async with self._tx() as conn:
            status = await conn.execute("UPDATE deliveries SET status = 'cancelled', last_error = $1 "
                                        "WHERE channel_id = $2 AND status = 'pending'", txt(reason), channel_id)
        return int(status.split()[-1])

    # ---- digests

    async def set_digest(self, guild_id: int, channel_id: int, *, time_of_day: str, timezone: str,
                         next_due_at: datetime) -> DigestSchedule:
        async with self._tx() as conn:
            row = await conn.fetchrow(
                "INSERT INTO digests (channel_id, guild_id, time_of_day, timezone, next_due_at) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id) DO UPDATE SET "
                "guild_id = excluded.guild_id, time_of_day = excluded.time_of_day, "
                "timezone = excluded.timezone, next_due_at = excluded.next_due_at RETURNING *",
                channel_id, guild_id, txt(time_of_day), txt(timezone), ts(next_due_at))
        assert row is not None
        return digest_from_row(row)

    async def remove_digest(self, channel_id: int) -> bool:
        async with self._tx() as conn:
            status = await conn.execute("DELETE FROM digests WHERE channel_id = $1", channel_id)
        return not status.endswith(" 0")

    async def get_digest(self, channel_id: int) -> DigestSchedule | None:
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT * FROM digests WHERE channel_id = $1", channel_id)
        return None if row is None else digest_from_row(row)

    async def due_digests(self, now: datetime) -> list[DigestSchedule]:
        async with self._read() as conn:
            rows = await conn.fetch("SELECT * FROM digests WHERE next_due_at <= $1 ORDER BY next_due_at, channel_id",
                                    ts(now))
        return [digest_from_row(r) for r in rows]

    async def mark_digest_sent(self, channel_id: int, *, sent_at: datetime, next_due_at: datetime) -> None:
        """Also clears the digest's lease."""
        async with self._tx() as conn:
            await conn.execute("UPDATE digests SET last_sent_at = $1, next_due_at = $2, lease_owner = NULL, "
                               "lease_expires_at = NULL WHERE channel_id = $3",
                               ts(sent_at), ts(next_due_at), channel_id)

    async def retry_digest_at(self, channel_id: int, retry_at: datetime) -> None:
        """Put a failed digest off until `retry_at` (its back-off); only the due time moves."""
        async with self._tx() as conn:
            await conn.execute("UPDATE digests SET next_due_at = $1 WHERE channel_id = $2", ts(retry_at), channel_id)

    # ---- guild settings and metadata

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        async with self._tx() as conn:
            await conn.execute("INSERT INTO guild_settings (guild_id, log_channel_id) VALUES ($1, $2) "
                               "ON CONFLICT (guild_id) DO UPDATE SET log_channel_id = excluded.log_channel_id",
                               guild_id, channel_id)

    async def get_log_channel(self, guild_id: int) -> int | None:
        async with self._read() as conn:
            found = await conn.fetchval("SELECT log_channel_id FROM guild_settings WHERE guild_id = $1", guild_id)
        return None if found is None else int(found)

    async def get_meta(self, key: str) -> str | None:
        async with self._read() as conn:
            found = await conn.fetchval("SELECT value FROM meta WHERE key = $1", txt(key))
        return None if found is None else str(found)

    async def set_meta(self, key: str, value: str) -> None:
        async with self._tx() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ($1, $2) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", txt(key), txt(value))
