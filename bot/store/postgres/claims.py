"""Claims on units of work (feed polls, delivery lanes, digests) for many processes on one database.

The PostgreSQL side of the lease/claim spec in plan.md. A claim is one statement:
`UPDATE ... WHERE key IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`, so two processes claiming
at the same instant never wait for each other and never get the same row: rows the other is claiming
are skipped, and rows it already claimed carry its live lease. A lease whose owner died simply expires
and the next claim takes the work over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import DigestSchedule, Feed, Notice, PendingDelivery
from bot.store.interface import NOTICE_LEASE
from bot.store.postgres.articles import ArticleOps
from bot.store.postgres.rows import digest_from_row, feed_from_row, ts
from bot.store.postgres.views import with_views

_FREE = "({t}.lease_owner IS NULL OR {t}.lease_expires_at <= $2)"  # no live lease, by anyone
_FREE_OR_MINE = "({t}.lease_owner IS NULL OR {t}.lease_owner = $1 OR {t}.lease_expires_at <= $2)"
# Discord's shard of a guild: (guild_id >> 22) % shard_count; $5 shard_count (NULL: all), $6 shard ids.
_SHARD = "($5::integer IS NULL OR (({t}.guild_id >> 22) % $5) = ANY($6::integer[]))"

_CLAIM_FEEDS = f"""
UPDATE feeds SET lease_owner = $1, lease_expires_at = $3
WHERE id IN (
    SELECT f.id FROM feeds AS f
    WHERE NOT f.disabled AND f.next_poll_at <= $2 AND {_FREE.format(t="f")}
      AND EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.feed_id = f.id)
    ORDER BY f.next_poll_at, f.id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING *
"""

# Lanes are created for channels with due deliveries that have none yet (a new channel, or deliveries
# copied in by migrate-db); ON CONFLICT makes two processes doing it at once harmless.
_ENSURE_LANES = """
INSERT INTO delivery_lanes (channel_id, guild_id)
SELECT DISTINCT ON (d.channel_id) d.channel_id, d.guild_id FROM deliveries AS d
WHERE d.status = 'pending' AND d.next_attempt_at <= $1
  AND NOT EXISTS (SELECT 1 FROM delivery_lanes AS l WHERE l.channel_id = d.channel_id)
ORDER BY d.channel_id
ON CONFLICT (channel_id) DO NOTHING
"""

# The channel whose oldest due delivery is oldest comes first (as on SQLite).
_CLAIM_LANES = f"""
WITH picked AS (
    SELECT l.channel_id, d.first FROM delivery_lanes AS l
    CROSS JOIN LATERAL (SELECT min(d.id) AS first FROM deliveries AS d WHERE d.channel_id = l.channel_id
                        AND d.status = 'pending' AND d.next_attempt_at <= $2) AS d
    WHERE {_FREE_OR_MINE.format(t="l")} AND {_SHARD.format(t="l")} AND d.first IS NOT NULL
    ORDER BY d.first
    LIMIT $4
    FOR UPDATE OF l SKIP LOCKED
)
UPDATE delivery_lanes AS l SET lease_owner = $1, lease_expires_at = $3
FROM picked WHERE l.channel_id = picked.channel_id
RETURNING l.channel_id, picked.first
"""

_CLAIM_DIGESTS = f"""
UPDATE digests SET lease_owner = $1, lease_expires_at = $3
WHERE channel_id IN (
    SELECT g.channel_id FROM digests AS g
    WHERE g.next_due_at <= $2 AND {_FREE.format(t="g")} AND {_SHARD.format(t="g")}
    ORDER BY g.next_due_at, g.channel_id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING *
"""

_RENEW = ("UPDATE {table} SET lease_owner = $2, lease_expires_at = $4 WHERE {key} = $1 "
          "AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at <= $3)")


def _shards(shard_count: int | None, shard_ids: Sequence[int] | None) -> tuple[int | None, list[int]]:
    if shard_count is None or shard_ids is None:
        return None, []
    return shard_count, list(shard_ids)


class ClaimOps(ArticleOps):
    async def claim_due_feeds(self, owner: str, *, now: datetime, lease: timedelta, limit: int) -> list[Feed]:
        """Enabled, subscribed, due feeds with no live lease, now leased to `owner`; oldest due first."""
        now = ts(now)
        async with self._tx() as conn:
            rows = await conn.fetch(_CLAIM_FEEDS, owner, now, now + lease, limit)
        return sorted((feed_from_row(r) for r in rows), key=lambda f: (f.next_poll_at, f.id))

    async def renew_feed_lease(self, feed_id: int, owner: str, *, now: datetime, lease: timedelta) -> bool:
        """False when another owner holds the feed's lease now."""
        now = ts(now)
        async with self._tx() as conn:
            status = await conn.execute(_RENEW.format(table="feeds", key="id"), feed_id, owner, now, now + lease)
        return not status.endswith(" 0")

    async def claim_delivery_lanes(self, owner: str, *, now: datetime, lease: timedelta, limit: int,
                                   shard_count: int | None = None,
                                   shard_ids: Sequence[int] | None = None) -> list[int]:
        """Channels with a due pending delivery whose lane no other owner holds, now leased to `owner`;
        with shards given, only channels of guilds on those shards."""
        now = ts(now)
        count, ids = _shards(shard_count, shard_ids)
        async with self._tx() as conn:
            await conn.execute(_ENSURE_LANES, now)
        async with self._tx() as conn:
            rows = await conn.fetch(_CLAIM_LANES, owner, now, now + lease, limit, count, ids)
        return [int(r[0]) for r in sorted(rows, key=lambda r: r["first"])]

    async def lane_deliveries(self, channel_id: int, *, now: datetime, limit: int) -> list[PendingDelivery]:
        """The channel's due pending deliveries, oldest first (as pending_deliveries)."""
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT id, guild_id, channel_id, subscription_id, story_id, attempts FROM deliveries "
                "WHERE channel_id = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY id LIMIT $3",
                channel_id, ts(now), limit)
            return await with_views(conn, rows)

    async def renew_lane(self, channel_id: int, owner: str, *, now: datetime, lease: timedelta) -> bool:
        now = ts(now)
        async with self._tx() as conn:
            status = await conn.execute(_RENEW.format(table="delivery_lanes", key="channel_id"),
                                        channel_id, owner, now, now + lease)
        return not status.endswith(" 0")

    async def release_feed_lease(self, feed_id: int, owner: str) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE feeds SET lease_owner = NULL, lease_expires_at = NULL "
                               "WHERE id = $1 AND lease_owner = $2", feed_id, owner)

    async def release_lane(self, channel_id: int, owner: str) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE delivery_lanes SET lease_owner = NULL, lease_expires_at = NULL "
                               "WHERE channel_id = $1 AND lease_owner = $2", channel_id, owner)

    async def claim_due_digests(self, owner: str, *, now: datetime, lease: timedelta, limit: int,
                                shard_count: int | None = None,
                                shard_ids: Sequence[int] | None = None) -> list[DigestSchedule]:
        """Due digests with no live lease (on the given shards), now leased to `owner`; oldest due first."""
        now = ts(now)
        count, ids = _shards(shard_count, shard_ids)
        async with self._tx() as conn:
            rows = await conn.fetch(_CLAIM_DIGESTS, owner, now, now + lease, limit, count, ids)
        return sorted((digest_from_row(r) for r in rows), key=lambda d: (d.next_due_at, d.channel_id))

    # ---- notices for log channels (bot.work.notices)

    async def add_notice(self, guild_id: int, text: str, *, now: datetime, channel_id: int | None = None,
                         key: str | None = None, quiet_for: timedelta | None = None) -> bool:
        """Queue a notice; with `key` and `quiet_for`, not when the guild got one with that key within
        `quiet_for`. Returns whether it was queued."""
        now = ts(now)
        async with self._tx() as conn:
            if key is not None and quiet_for is not None:
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"notice:{guild_id}:{key}")
                recent = await conn.fetchval("SELECT 1 FROM notices WHERE guild_id = $1 AND key = $2 "
                                             "AND created_at > $3 LIMIT 1", guild_id, key, now - quiet_for)
                if recent:
                    return False
            await conn.execute("INSERT INTO notices (guild_id, channel_id, text, key, created_at) "
                               "VALUES ($1, $2, $3, $4, $5)", guild_id, channel_id, text[:1900], key, now)
        return True

    async def take_notices(self, *, now: datetime, limit: int, shard_count: int | None = None,
                           shard_ids: Sequence[int] | None = None, lease: timedelta = NOTICE_LEASE) -> list[Notice]:
        """Due notices (on the given shards), each claimed for `lease` (see the interface): at least once."""
        count, ids = _shards(shard_count, shard_ids)
        async with self._tx() as conn:
            rows = await conn.fetch(
                "UPDATE notices SET attempts = attempts + 1, next_attempt_at = $5 WHERE id IN ("
                "SELECT id FROM notices AS n WHERE n.sent_at IS NULL"
                " AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= $1)"
                " AND ($2::integer IS NULL OR ((n.guild_id >> 22) % $2) = ANY($3::integer[]))"
                " ORDER BY n.id LIMIT $4 FOR UPDATE SKIP LOCKED)"
                " RETURNING id, guild_id, channel_id, text, attempts - 1 AS attempts",
                ts(now), count, ids, limit, ts(now + lease))
        return sorted((Notice(id=r["id"], guild_id=r["guild_id"], channel_id=r["channel_id"], text=r["text"],
                              attempts=r["attempts"]) for r in rows), key=lambda n: n.id)

    async def notice_sent(self, notice_id: int, *, now: datetime) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE notices SET sent_at = $1, next_attempt_at = NULL WHERE id = $2",
                               ts(now), notice_id)

    async def retry_notice(self, notice_id: int, *, retry_at: datetime) -> None:
        async with self._tx() as conn:
            await conn.execute("UPDATE notices SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL",
                               ts(retry_at), notice_id)
