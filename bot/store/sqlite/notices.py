"""Notices for guilds' log channels: written by any process, taken (once) by a Discord process."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import Notice
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
                           shard_ids: Sequence[int] | None = None) -> list[Notice]:
        """Unsent notices, marked sent as they are taken: a notice is shown at most once (it is advice, and
        a second copy after a crash would be noise)."""
        shards, shard_params = shard_clause("guild_id", shard_count, shard_ids)
        now_s = to_db(now)

        def unit(db: sqlite3.Connection) -> list[sqlite3.Row]:
            rows = db.execute(f"SELECT id, guild_id, channel_id, text FROM notices WHERE sent_at IS NULL{shards} "
                              "ORDER BY id LIMIT ?", (*shard_params, limit)).fetchall()
            db.executemany("UPDATE notices SET sent_at = ? WHERE id = ?", [(now_s, r["id"]) for r in rows])
            return rows

        return [Notice(id=r["id"], guild_id=r["guild_id"], channel_id=r["channel_id"], text=r["text"])
                for r in await self._write_sync(unit)]
