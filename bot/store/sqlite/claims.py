"""Leases on units of work (the claim spec in plan.md): due feeds, per-channel delivery lanes, due digests.

A claim is one BEGIN IMMEDIATE transaction (SQLite has one writer at a time, so select-then-update cannot
race another process). A lease is live while lease_expires_at > now; a dead owner's lease simply expires
and the next claim takes the work over. Shards: a Discord process only claims work of guilds on its shards,
`(guild_id >> 22) % shard_count` being Discord's own shard formula.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import DigestSchedule, Feed, PendingDelivery, StoryView
from bot.store.sqlite.base import Params, StoreBase, changes
from bot.store.sqlite.rows import digest_from_row, feed_from_row, to_db
from bot.store.sqlite.views import load_views_sync

_LANE_SQL = ("SELECT id, guild_id, channel_id, subscription_id, story_id, attempts FROM deliveries "
             "WHERE channel_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?")


def shard_clause(column: str, shard_count: int | None, shard_ids: Sequence[int] | None) -> tuple[str, list[int]]:
    """SQL (with a leading AND) keeping rows whose guild is on this process's shards; empty without shards."""
    if not shard_count or shard_ids is None:
        return "", []
    ids = sorted({int(s) for s in shard_ids})
    if not ids:
        return " AND 0", []
    marks = ",".join("?" * len(ids))
    return f" AND (({column} >> 22) % ?) IN ({marks})", [shard_count, *ids]


class ClaimOps(StoreBase):
    # ---- feeds

    async def claim_due_feeds(self, owner: str, *, now: datetime, lease: timedelta, limit: int) -> list[Feed]:
        """Enabled, subscribed, due feeds with no live lease, now leased to `owner`; oldest due first."""
        if limit <= 0:
            return []
        now_s, until = to_db(now), to_db(now + lease)

        def unit(db: sqlite3.Connection) -> list[sqlite3.Row]:
            ids = [int(r[0]) for r in db.execute(
                "SELECT id FROM feeds AS f WHERE f.disabled = 0 AND f.next_poll_at <= ? "
                "AND (f.lease_owner IS NULL OR f.lease_expires_at <= ?) "
                "AND EXISTS (SELECT 1 FROM subscriptions AS s WHERE s.feed_id = f.id) "
                "ORDER BY f.next_poll_at, f.id LIMIT ?", (now_s, now_s, limit))]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            return db.execute(f"UPDATE feeds SET lease_owner = ?, lease_expires_at = ? WHERE id IN ({marks}) "
                              "RETURNING *", (owner, until, *ids)).fetchall()

        feeds = [feed_from_row(r) for r in await self._write_sync(unit)]
        feeds.sort(key=lambda f: (f.next_poll_at, f.id))
        return feeds

    async def renew_feed_lease(self, feed_id: int, owner: str, *, now: datetime, lease: timedelta) -> bool:
        """Extend our lease; False when another owner holds a live one (ours expired and was taken)."""
        return await self._write_sync(
            changes, "UPDATE feeds SET lease_owner = ?, lease_expires_at = ? WHERE id = ? "
                     "AND (lease_owner = ? OR lease_owner IS NULL OR lease_expires_at <= ?)",
            (owner, to_db(now + lease), feed_id, owner, to_db(now))) > 0

    # ---- delivery lanes

    async def claim_delivery_lanes(self, owner: str, *, now: datetime, lease: timedelta, limit: int,
                                   shard_count: int | None = None,
                                   shard_ids: Sequence[int] | None = None) -> list[int]:
        """Channels with a due pending delivery whose lane no other owner holds, now leased to `owner`;
        the channel with the oldest due delivery first."""
        if limit <= 0:
            return []
        now_s, until = to_db(now), to_db(now + lease)
        shards, shard_params = shard_clause("d.guild_id", shard_count, shard_ids)

        def unit(db: sqlite3.Connection) -> list[int]:
            rows = db.execute(
                "SELECT d.channel_id, max(d.guild_id) AS guild_id, min(d.id) AS first FROM deliveries AS d "
                "LEFT JOIN delivery_lanes AS l ON l.channel_id = d.channel_id "
                "WHERE d.status = 'pending' AND d.next_attempt_at <= ? "
                "AND (l.lease_owner IS NULL OR l.lease_owner = ? OR l.lease_expires_at <= ?)"
                f"{shards} GROUP BY d.channel_id ORDER BY first LIMIT ?",
                (now_s, owner, now_s, *shard_params, limit)).fetchall()
            db.executemany(
                "INSERT INTO delivery_lanes (channel_id, guild_id, lease_owner, lease_expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                "lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at",
                [(r["channel_id"], r["guild_id"], owner, until) for r in rows])
            return [int(r["channel_id"]) for r in rows]

        return await self._write_sync(unit)

    async def lane_deliveries(self, channel_id: int, *, now: datetime, limit: int) -> list[PendingDelivery]:
        """One channel's due pending deliveries, oldest first (as `pending_deliveries`)."""
        return await self._read_sync(pending_deliveries_of, _LANE_SQL, (channel_id, to_db(now), limit))

    async def renew_lane(self, channel_id: int, owner: str, *, now: datetime, lease: timedelta) -> bool:
        return await self._write_sync(
            changes, "UPDATE delivery_lanes SET lease_owner = ?, lease_expires_at = ? WHERE channel_id = ? "
                     "AND (lease_owner = ? OR lease_owner IS NULL OR lease_expires_at <= ?)",
            (owner, to_db(now + lease), channel_id, owner, to_db(now))) > 0

    async def release_feed_lease(self, feed_id: int, owner: str) -> None:
        await self._write_sync(changes, "UPDATE feeds SET lease_owner = NULL, lease_expires_at = NULL "
                                        "WHERE id = ? AND lease_owner = ?", (feed_id, owner))

    async def release_lane(self, channel_id: int, owner: str) -> None:
        await self._write_sync(changes, "DELETE FROM delivery_lanes WHERE channel_id = ? AND lease_owner = ?",
                               (channel_id, owner))

    # ---- digests

    async def claim_due_digests(self, owner: str, *, now: datetime, lease: timedelta, limit: int,
                                shard_count: int | None = None,
                                shard_ids: Sequence[int] | None = None) -> list[DigestSchedule]:
        """Due digests with no live lease, now leased to `owner`; a digest still unsent when the lease
        runs out (a transient failure, a dead owner) is claimed again then."""
        if limit <= 0:
            return []
        now_s, until = to_db(now), to_db(now + lease)
        shards, shard_params = shard_clause("guild_id", shard_count, shard_ids)

        def unit(db: sqlite3.Connection) -> list[sqlite3.Row]:
            ids = [int(r[0]) for r in db.execute(
                "SELECT channel_id FROM digests WHERE next_due_at <= ? "
                f"AND (lease_owner IS NULL OR lease_expires_at <= ?){shards} "
                "ORDER BY next_due_at, channel_id LIMIT ?", (now_s, now_s, *shard_params, limit))]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            return db.execute(f"UPDATE digests SET lease_owner = ?, lease_expires_at = ? "
                              f"WHERE channel_id IN ({marks}) RETURNING *", (owner, until, *ids)).fetchall()

        schedules = [digest_from_row(r) for r in await self._write_sync(unit)]
        schedules.sort(key=lambda d: (d.next_due_at, d.channel_id))
        return schedules


def pending_deliveries_of(db: sqlite3.Connection, sql: str, params: Params) -> list[PendingDelivery]:
    """PendingDelivery records for the delivery rows `sql` selects, each story viewed as its guild sees it."""
    rows = db.execute(sql, params).fetchall()
    views: dict[tuple[int, int], StoryView] = {}
    for gid in dict.fromkeys(int(r["guild_id"]) for r in rows):
        loaded = load_views_sync(db, [r["story_id"] for r in rows if r["guild_id"] == gid], gid)
        views.update(((gid, sid), view) for sid, view in loaded.items())
    return [
        PendingDelivery(id=r["id"], guild_id=r["guild_id"], channel_id=r["channel_id"],
                        subscription_id=r["subscription_id"], story=views[(r["guild_id"], r["story_id"])],
                        attempts=r["attempts"])
        for r in rows if (r["guild_id"], r["story_id"]) in views
    ]
