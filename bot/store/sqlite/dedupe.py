"""Per-feed article keys and the lookups ingest makes before storing: isolation between servers.

canonical_url is unique across all feeds, but one feed's entry must never stand in for another's, so a
second feed's copy of a URL is stored under `feed_key`, and ingest asks about its own feed's articles only.
"""

from __future__ import annotations

from datetime import datetime

from bot.store.common import feed_key
from bot.store.sqlite.base import StoreBase, all_rows, one_row
from bot.store.sqlite.rows import from_db, to_db


class DedupeOps(StoreBase):
    async def feed_has_url(self, feed_id: int, canonical_url: str) -> bool:
        """True when this feed already stored an article under `canonical_url` (its own copy)."""
        return await self.feed_article_title(feed_id, canonical_url) is not None

    async def feed_article_title(self, feed_id: int, canonical_url: str) -> str | None:
        """The title of this feed's own article stored under `canonical_url`, or None."""
        row = await self._read_sync(one_row, "SELECT title FROM articles WHERE canonical_url IN (?, ?) AND feed_id = ?",
                                    (canonical_url, feed_key(canonical_url, feed_id), feed_id))
        return None if row is None else str(row[0])

    async def recent_fingerprint_times(self, since: datetime) -> list[tuple[int, bytes, datetime]]:
        """(story_id, fingerprint, created_at) of articles stored since `since`, oldest first: the cluster
        index rebuilt at start-up, each entry timed so that it expires as it would in process."""
        rows = await self._read_sync(all_rows, "SELECT story_id, fingerprint, created_at FROM articles "
                                               "WHERE created_at >= ? AND fingerprint IS NOT NULL ORDER BY id",
                                     (to_db(since),))
        return [(int(r[0]), bytes(r[1]), from_db(r[2])) for r in rows]
