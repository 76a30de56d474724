"""The delivery outbox, digests, guild settings and metadata: each method one unit of work in one thread
hop."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.models import DigestSchedule, PendingDelivery
from bot.store.sqlite.base import StoreBase, all_rows, changes, one_row
from bot.store.sqlite.claims import pending_deliveries_of
from bot.store.sqlite.rows import digest_from_row, to_db

# Served by the partial index deliveries_pending_order_idx (migration 0002).
PENDING_SQL = ("SELECT id, guild_id, channel_id, subscription_id, story_id, attempts FROM deliveries "
               "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?")


class OutboxOps(StoreBase):
    # ---- delivery outbox

    async def pending_deliveries(self, now: datetime, limit: int = 50) -> list[PendingDelivery]:
        """Pending rows whose next_attempt_at <= now, oldest first."""
        return await self._read_sync(pending_deliveries_of, PENDING_SQL, (to_db(now), limit))

    async def mark_delivered(self, delivery_id: int, message_id: int, *, now: datetime) -> None:
        await self._write_sync(changes, "UPDATE deliveries SET status = 'delivered', message_id = ?, delivered_at = ?, "
                                        "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                               (message_id, to_db(now), delivery_id))

    async def mark_delivery_failed(self, delivery_id: int, error: str, *, now: datetime,
                                   retry_at: datetime | None) -> None:
        """retry_at=None gives the delivery up (status 'failed'); otherwise attempts+1 and retried then.
        Only a still-pending row changes: one cancelled or delivered meanwhile keeps its status."""
        if retry_at is None:
            await self._write_sync(changes, "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                                            "last_error = ? WHERE id = ? AND status = 'pending'", (error, delivery_id))
        else:
            await self._write_sync(changes, "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                                            "next_attempt_at = ? WHERE id = ? AND status = 'pending'",
                                   (error, to_db(retry_at), delivery_id))

    async def hold_channel_deliveries(self, channel_id: int, until: datetime) -> int:
        """Make every pending delivery of a channel wait until at least `until`: while its first story waits
        out a failure, the later ones must not overtake it (nor run into the same outage)."""
        return await self._write_sync(changes, "UPDATE deliveries SET next_attempt_at = ? WHERE channel_id = ? "
                                               "AND status = 'pending' AND next_attempt_at < ?",
                                      (to_db(until), channel_id, to_db(until)))

    async def cancel_channel_deliveries(self, channel_id: int, reason: str) -> int:
        """Give up every pending delivery of a channel (paused or gone)."""
        return await self._write_sync(changes, "UPDATE deliveries SET status = 'cancelled', last_error = ? "
                                               "WHERE channel_id = ? AND status = 'pending'", (reason, channel_id))

    # ---- digests

    async def set_digest(self, guild_id: int, channel_id: int, *, time_of_day: str, timezone: str,
                         next_due_at: datetime) -> DigestSchedule:
        params = (channel_id, guild_id, time_of_day, timezone, to_db(next_due_at))

        def unit(db: sqlite3.Connection) -> sqlite3.Row | None:
            db.execute("INSERT INTO digests (channel_id, guild_id, time_of_day, timezone, next_due_at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                       "guild_id = excluded.guild_id, time_of_day = excluded.time_of_day, "
                       "timezone = excluded.timezone, next_due_at = excluded.next_due_at", params)
            return one_row(db, "SELECT * FROM digests WHERE channel_id = ?", (channel_id,))

        row = await self._write_sync(unit)
        assert row is not None
        return digest_from_row(row)

    async def remove_digest(self, channel_id: int) -> bool:
        return await self._write_sync(changes, "DELETE FROM digests WHERE channel_id = ?", (channel_id,)) > 0

    async def get_digest(self, channel_id: int) -> DigestSchedule | None:
        row = await self._read_sync(one_row, "SELECT * FROM digests WHERE channel_id = ?", (channel_id,))
        return None if row is None else digest_from_row(row)

    async def due_digests(self, now: datetime) -> list[DigestSchedule]:
        rows = await self._read_sync(all_rows, "SELECT * FROM digests WHERE next_due_at <= ? "
                                               "ORDER BY next_due_at, channel_id", (to_db(now),))
        return [digest_from_row(r) for r in rows]

    async def mark_digest_sent(self, channel_id: int, *, sent_at: datetime, next_due_at: datetime) -> None:
        await self._write_sync(changes, "UPDATE digests SET last_sent_at = ?, next_due_at = ?, lease_owner = NULL, "
                                        "lease_expires_at = NULL WHERE channel_id = ?",
                               (to_db(sent_at), to_db(next_due_at), channel_id))

    async def retry_digest_at(self, channel_id: int, retry_at: datetime) -> None:
        """Put a digest that failed off until `retry_at` (its back-off). Only the due time moves: the digest
        still covers everything since its last send, and the following one is scheduled from when it is
        finally posted."""
        await self._write_sync(changes, "UPDATE digests SET next_due_at = ?, lease_owner = NULL, "
                                        "lease_expires_at = NULL WHERE channel_id = ?", (to_db(retry_at), channel_id))

    # ---- guild settings and metadata

    async def set_log_channel(self, guild_id: int, channel_id: int | None) -> None:
        await self._write_sync(changes, "INSERT INTO guild_settings (guild_id, log_channel_id) VALUES (?, ?) "
                                        "ON CONFLICT (guild_id) DO UPDATE SET log_channel_id = excluded.log_channel_id",
                               (guild_id, channel_id))

    async def get_log_channel(self, guild_id: int) -> int | None:
        row = await self._read_sync(one_row, "SELECT log_channel_id FROM guild_settings WHERE guild_id = ?",
                                    (guild_id,))
        return None if row is None or row[0] is None else int(row[0])

    async def get_meta(self, key: str) -> str | None:
        row = await self._read_sync(one_row, "SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        await self._write_sync(changes, "INSERT INTO meta (key, value) VALUES (?, ?) "
                                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
