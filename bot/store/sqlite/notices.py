"""Notices for guilds' log channels: written by any process, sent (at least once) by a Discord process."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import Notice
from bot.store.interface import NOTICE_LEASE
from bot.store.sqlite.base import StoreBase
from bot.store.sqlite.claims import shard_clause
from bot.store.sqlite.rows import to_db


class NoticeOps(StoreBase):
    async def add_notice(self, guild_id: int, text: str, *, now: datetime, channel_id: int | None = None,
                         key: str | None = None, quiet_for: timedelta | None = None) -> bool:
        """Queue a notice; with `key` and `quiet_for`, not when the guild got one with that key within
        `quiet_for` (the same broken filter meets every story). Returns whether it was queued."""
        since = None if quiet_for is None else to_db(now - quiet_for)
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> bool:
            if key is not None and since is not None and db.execute(
                    "SELECT 1 FROM notices WHERE guild_id = ? AND key = ? AND created_at > ? LIMIT 1",
                    (guild_id, key, since)).fetchone():
                return False
            db.execute("INSERT INTO notices (guild_id, channel_id, text, key, created_at) VALUES (?, ?, ?, ?, ?)",
                       (guild_id, channel_id, text[:1900], key, now_s))
            return True

        return await self._write_sync(unit)

    async def take_notices(self, *, now: datetime, limit: int, shard_count: int | None = None,
                           shard_ids: Sequence[int] | None = None, lease: timedelta = NOTICE_LEASE) -> list[Notice]:
        """Due notices, each claimed for `lease` (see the interface): sent at least once."""
        shards, shard_params = shard_clause("guild_id", shard_count, shard_ids)
        now_s, until_s = to_db(now), to_db(now + lease)

        def unit(db: sqlite3.Connection) -> list[sqlite3.Row]:
            rows = db.execute("SELECT id, guild_id, channel_id, text, attempts FROM notices WHERE sent_at IS NULL "
                              f"AND (next_attempt_at IS NULL OR next_attempt_at <= ?){shards} ORDER BY id LIMIT ?",
                              (now_s, *shard_params, limit)).fetchall()
            db.executemany("UPDATE notices SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                           [(until_s, r["id"]) for r in rows])
            return rows

        return [Notice(id=r["id"], guild_id=r["guild_id"], channel_id=r["channel_id"], text=r["text"],
                       attempts=r["attempts"]) for r in await self._write_sync(unit)]

    async def notice_sent(self, notice_id: int, *, now: datetime) -> None:
        await self._write_sync(_run, "UPDATE notices SET sent_at = ?, next_attempt_at = NULL WHERE id = ?",
                               (to_db(now), notice_id))

    async def retry_notice(self, notice_id: int, *, retry_at: datetime) -> None:
        await self._write_sync(_run, "UPDATE notices SET next_attempt_at = ? WHERE id = ? AND sent_at IS NULL",
                               (to_db(retry_at), notice_id))


def _run(db: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> None:
    db.execute(sql, params)
