"""The newest articles' own full-text index on PostgreSQL, kept moving forward.

A search ranks the newest matches in scope (search.py), first among the newest articles. In the one GIN
index over all articles, a common word's entry lists every article that ever held it, and a bitmap scan
reads the whole entry before the id range cuts it down: at a million stories that read, not the ranking,
is most of a search. A partial GIN index over the articles with id >= boundary holds only the newest
RECENT_INDEX_ROWS to twice that, so the first id range reads a bounded entry; older ranges, needed only
for words too rare to fill the window from the newest articles, use the full index, where such words
have short entries anyway.

`move_recent_index` (run by `tidy_search_index`, with the retention job) builds a new partial index
CONCURRENTLY once the newest articles have outgrown the current one, records it in `search_recent`, then
drops the old one. Stores with fewer than twice RECENT_INDEX_ROWS articles get none: their full index is
small. The answer of a search never depends on the index: only how much of the full index it reads.
"""

from __future__ import annotations

import logging
import re

import asyncpg

log = logging.getLogger(__name__)

RECENT_INDEX_ROWS = 50_000  # the partial index covers the newest this-many articles, up to twice as many
# pg_try_advisory_lock's key: one process moves the index at a time ("newsbot" + 1 in ASCII).
RECENT_INDEX_LOCK = 0x6E_65_77_73_62_6F_75
_NAME = re.compile(r"^articles_search_recent_[0-9]{1,19}$")


async def move_recent_index(conn: asyncpg.Connection) -> int:
    """Build the next partial index when the newest articles have outgrown the current one (1), else 0.
    `conn` must not be in a transaction (CREATE INDEX CONCURRENTLY)."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RECENT_INDEX_LOCK):
        return 0  # another process is at it
    try:
        row = await conn.fetchrow("SELECT (SELECT max(id) FROM articles) AS newest, r.boundary, r.index_name "
                                  "FROM (SELECT 1) AS one LEFT JOIN search_recent AS r ON true")
        newest = int(row["newest"] or 0)
        old_boundary, old_name = row["boundary"], row["index_name"]
        if newest <= 2 * RECENT_INDEX_ROWS or (old_boundary is not None
                                              and newest - int(old_boundary) <= 2 * RECENT_INDEX_ROWS):
            return 0
        boundary = newest - RECENT_INDEX_ROWS
        name = f"articles_search_recent_{boundary}"  # an integer: nothing to quote
        # A build that failed or was killed leaves an invalid index behind, which writes would still keep up.
        for (stray,) in await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'articles' "
                                         "AND indexname LIKE 'articles\\_search\\_recent\\_%'"):
            if stray != old_name and _NAME.match(stray):
                await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {stray}")
        await conn.execute(f"CREATE INDEX CONCURRENTLY {name} ON articles USING gin (search) WHERE id >= {boundary}")
        await conn.execute("INSERT INTO search_recent (only_row, boundary, index_name) VALUES (true, $1, $2) "
                           "ON CONFLICT (only_row) DO UPDATE SET boundary = $1, index_name = $2", boundary, name)
        if old_name and _NAME.match(old_name) and old_name != name:
            await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {old_name}")
        log.info("search: the newest articles' index now starts at article %s (%s)", boundary, name)
        return 1
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", RECENT_INDEX_LOCK)
