"""Failing feed entries ("poison entries"): attempts, back-off and give-up, per (feed, guid).

An entry is marked seen only when its story is stored, so an entry that fails every time would be
retried on every poll forever, without a word. These rows make the failure visible (the feed's
`failing_entries` and `entry_error`, shown by /feed list) and bound the retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.models import EntryFailure
from bot.store.sqlite.base import StoreBase, chunks, execute, fetchall
from bot.store.sqlite.rows import from_db, to_db

MAX_ERROR_CHARS = 300


class EntryFailureOps(StoreBase):
    async def entry_failures(self, feed_id: int, guids: Sequence[str]) -> dict[str, EntryFailure]:
        found: dict[str, EntryFailure] = {}
        async with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(guids)), 400):
                rows = await fetchall(
                    conn, f"SELECT guid, attempts, last_error, next_attempt_at, gave_up FROM entry_failures "
                          f"WHERE feed_id = ? AND guid IN ({','.join('?' * len(chunk))})", (feed_id, *chunk))
                for r in rows:
                    found[r["guid"]] = EntryFailure(r["guid"], int(r["attempts"]), r["last_error"],
                                                    from_db(r["next_attempt_at"]), bool(r["gave_up"]))
        return found

    async def record_entry_failure(self, feed_id: int, guid: str, error: str, *, now: datetime,
                                   next_attempt_at: datetime, give_up: bool) -> int:
        """One more failed attempt for the entry; returns its attempt count."""
        now_s = to_db(now)
        async with self._tx() as conn:
            if not await fetchall(conn, "SELECT 1 FROM feeds WHERE id = ?", (feed_id,)):
                return 0
            await execute(
                conn,
                "INSERT INTO entry_failures (feed_id, guid, attempts, last_error, first_failed_at, last_failed_at, "
                "next_attempt_at, gave_up) VALUES (?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, guid) DO UPDATE "
                "SET attempts = attempts + 1, last_error = excluded.last_error, "
                "last_failed_at = excluded.last_failed_at, next_attempt_at = excluded.next_attempt_at, "
                "gave_up = excluded.gave_up",
                (feed_id, guid, error[:MAX_ERROR_CHARS], now_s, now_s, to_db(next_attempt_at), int(give_up)),
            )
            rows = await fetchall(conn, "SELECT attempts FROM entry_failures WHERE feed_id = ? AND guid = ?",
                                  (feed_id, guid))
            await _summarize(conn, feed_id)
        return int(rows[0][0]) if rows else 0

    async def clear_entry_failures(self, feed_id: int, guids: Sequence[str]) -> None:
        """Forget failures of entries that have now been stored."""
        if not guids:
            return
        async with self._tx() as conn:
            for chunk in chunks(list(dict.fromkeys(guids)), 400):
                await execute(conn, f"DELETE FROM entry_failures WHERE feed_id = ? AND guid IN "
                                    f"({','.join('?' * len(chunk))})", (feed_id, *chunk))
            await _summarize(conn, feed_id)


async def _summarize(conn: aiosqlite.Connection, feed_id: int) -> None:
    await execute(
        conn,
        "UPDATE feeds SET failing_entries = (SELECT count(*) FROM entry_failures WHERE feed_id = ?), "
        "entry_error = (SELECT last_error FROM entry_failures WHERE feed_id = ? "
        "ORDER BY last_failed_at DESC LIMIT 1) WHERE id = ?",
        (feed_id, feed_id, feed_id),
    )
