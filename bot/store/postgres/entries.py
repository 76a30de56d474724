"""Per-feed article lookups ingest makes before storing, and failing feed entries ("poison entries"), on
PostgreSQL: the SQLite store's methods (bot/store/sqlite/dedupe.py, entries.py) statement for statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.models import EntryFailure
from bot.store.common import feed_key
from bot.store.postgres.base import PgBase
from bot.store.postgres.rows import ts, txt, utc

MAX_ERROR_CHARS = 300


class EntryOps(PgBase):
    async def feed_has_url(self, feed_id: int, canonical_url: str) -> bool:
        """True when this feed already stored an article under `canonical_url` (its own copy)."""
        return await self.feed_article_title(feed_id, canonical_url) is not None

    async def feed_article_title(self, feed_id: int, canonical_url: str) -> str | None:
        """The title of this feed's own article stored under `canonical_url`, or None."""
        url = txt(canonical_url)
        async with self._read() as conn:
            title = await conn.fetchval("SELECT title FROM articles WHERE canonical_url = ANY($1::text[]) "
                                        "AND feed_id = $2", [url, feed_key(url, feed_id)], feed_id)
        return None if title is None else str(title)

    async def recent_fingerprint_times(self, since: datetime) -> list[tuple[int, bytes, datetime]]:
        """(story_id, fingerprint, created_at) of articles stored since `since`, oldest first."""
        async with self._read() as conn:
            rows = await conn.fetch("SELECT story_id, fingerprint, created_at FROM articles WHERE created_at >= $1 "
                                    "AND fingerprint IS NOT NULL ORDER BY id", ts(since))
        return [(int(r[0]), bytes(r[1]), utc(r[2])) for r in rows]

    async def entry_failures(self, feed_id: int, guids: Sequence[str]) -> dict[str, EntryFailure]:
        wanted = {txt(g): g for g in guids}
        async with self._read() as conn:
            rows = await conn.fetch("SELECT guid, attempts, last_error, next_attempt_at, gave_up FROM entry_failures "
                                    "WHERE feed_id = $1 AND guid = ANY($2::text[])", feed_id, list(wanted))
        return {wanted[r["guid"]]: EntryFailure(wanted[r["guid"]], int(r["attempts"]), r["last_error"],
                                                utc(r["next_attempt_at"]), r["gave_up"]) for r in rows}

    async def record_entry_failure(self, feed_id: int, guid: str, error: str, *, now: datetime,
                                   next_attempt_at: datetime, give_up: bool) -> int:
        """One more failed attempt for the entry; returns its attempt count."""
        now = ts(now)
        async with self._tx() as conn:
            if await conn.fetchval("SELECT 1 FROM feeds WHERE id = $1 FOR KEY SHARE", feed_id) is None:
                return 0
            attempts = await conn.fetchval(
                "INSERT INTO entry_failures (feed_id, guid, attempts, last_error, first_failed_at, last_failed_at, "
                "next_attempt_at, gave_up) VALUES ($1, $2, 1, $3, $4, $4, $5, $6) ON CONFLICT (feed_id, guid) "
                "DO UPDATE SET attempts = entry_failures.attempts + 1, last_error = excluded.last_error, "
                "last_failed_at = excluded.last_failed_at, next_attempt_at = excluded.next_attempt_at, "
                "gave_up = excluded.gave_up RETURNING attempts",
                feed_id, txt(guid), txt(error)[:MAX_ERROR_CHARS], now, ts(next_attempt_at), give_up)
            await _summarize(conn, feed_id)
        return int(attempts or 0)

    async def clear_entry_failures(self, feed_id: int, guids: Sequence[str]) -> None:
        """Forget failures of entries that have now been stored."""
        if not guids:
            return
        async with self._tx() as conn:
            await conn.execute("DELETE FROM entry_failures WHERE feed_id = $1 AND guid = ANY($2::text[])",
                               feed_id, list(dict.fromkeys(txt(g) for g in guids)))
            await _summarize(conn, feed_id)


async def _summarize(conn: asyncpg.Connection, feed_id: int) -> None:
    await conn.execute(
        "UPDATE feeds SET failing_entries = (SELECT count(*) FROM entry_failures WHERE feed_id = $1), "
        "entry_error = (SELECT last_error FROM entry_failures WHERE feed_id = $1 "
        "ORDER BY last_failed_at DESC LIMIT 1) WHERE id = $1", feed_id)
