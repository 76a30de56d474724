"""Failing feed entries ("poison entries"): attempts, back-off and give-up, per (feed, guid).

An entry is marked seen only when its story is stored, so an entry that fails every time would be
retried on every poll forever, without a word. These rows make the failure visible (the feed's
`failing_entries` and `entry_error`, shown by /feed list) and bound the retries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.models import EntryFailure
from bot.store.sqlite.base import StoreBase, chunks
from bot.store.sqlite.rows import from_db, to_db

MAX_ERROR_CHARS = 300


class EntryFailureOps(StoreBase):
    async def entry_failures(self, feed_id: int, guids: Sequence[str]) -> dict[str, EntryFailure]:
        def unit(db: sqlite3.Connection) -> dict[str, EntryFailure]:
            found: dict[str, EntryFailure] = {}
            for chunk in chunks(list(dict.fromkeys(guids)), 400):
                for r in db.execute(f"SELECT guid, attempts, last_error, next_attempt_at, gave_up FROM entry_failures "
                                    f"WHERE feed_id = ? AND guid IN ({','.join('?' * len(chunk))})", (feed_id, *chunk)):
                    found[r["guid"]] = EntryFailure(r["guid"], int(r["attempts"]), r["last_error"],
                                                    from_db(r["next_attempt_at"]), bool(r["gave_up"]))
            return found

        return await self._read_sync(unit)

    async def record_entry_failure(self, feed_id: int, guid: str, error: str, *, now: datetime,
                                   next_attempt_at: datetime, give_up: bool) -> int:
        """One more failed attempt for the entry; returns its attempt count."""
        now_s = to_db(now)
        params = (feed_id, guid, error[:MAX_ERROR_CHARS], now_s, now_s, to_db(next_attempt_at), int(give_up))

        def unit(db: sqlite3.Connection) -> int:
            if db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None:
                return 0
            db.execute(
                "INSERT INTO entry_failures (feed_id, guid, attempts, last_error, first_failed_at, last_failed_at, "
                "next_attempt_at, gave_up) VALUES (?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, guid) DO UPDATE "
                "SET attempts = attempts + 1, last_error = excluded.last_error, "
                "last_failed_at = excluded.last_failed_at, next_attempt_at = excluded.next_attempt_at, "
                "gave_up = excluded.gave_up", params)
            row = db.execute("SELECT attempts FROM entry_failures WHERE feed_id = ? AND guid = ?",
                             (feed_id, guid)).fetchone()
            _summarize(db, feed_id)
            return int(row[0]) if row else 0

        return await self._write_sync(unit)

    async def clear_entry_failures(self, feed_id: int, guids: Sequence[str]) -> None:
        """Forget failures of entries that have now been stored."""
        if not guids:
            return

        def unit(db: sqlite3.Connection) -> None:
            for chunk in chunks(list(dict.fromkeys(guids)), 400):
                db.execute(f"DELETE FROM entry_failures WHERE feed_id = ? AND guid IN ({','.join('?' * len(chunk))})",
                           (feed_id, *chunk))
            _summarize(db, feed_id)

        await self._write_sync(unit)


def _summarize(db: sqlite3.Connection, feed_id: int) -> None:
    db.execute(
        "UPDATE feeds SET failing_entries = (SELECT count(*) FROM entry_failures WHERE feed_id = ?), "
        "entry_error = (SELECT last_error FROM entry_failures WHERE feed_id = ? "
        "ORDER BY last_failed_at DESC LIMIT 1) WHERE id = ?",
        (feed_id, feed_id, feed_id),
    )
