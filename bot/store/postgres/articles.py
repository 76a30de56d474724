"""Stories, search and the lookups built on them, and retention, on PostgreSQL. Storing articles is in
`bot.store.postgres.adding`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime

from bot.models import QuoteHit, QuoteRecord, StoryView
from bot.store.common import normalize_name, ordered, surname
from bot.store.filtering import DIGEST_PAGE, extend_passing
from bot.store.postgres import search as fts
from bot.store.postgres.adding import AddOps
from bot.store.postgres.rows import ts
from bot.store.postgres.views import Params, load_views

log = logging.getLogger(__name__)

GUILD_FEEDS = "SELECT feed_id FROM subscriptions WHERE guild_id = $1"
PURGE_BATCH = 500


class ArticleOps(AddOps):
    async def find_article_by_url(self, canonical_url: str) -> int | None:
        async with self._read() as conn:
            found = await conn.fetchval("SELECT id FROM articles WHERE canonical_url = $1",
                                        canonical_url.replace("\x00", ""))
        return None if found is None else int(found)

    async def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes]]:
        async with self._read() as conn:
            rows = await conn.fetch("SELECT story_id, fingerprint FROM articles WHERE created_at >= $1 "
                                    "AND fingerprint IS NOT NULL ORDER BY id", ts(since))
        return [(int(r[0]), bytes(r[1])) for r in rows]

    async def get_story(self, story_id: int) -> StoryView | None:
        async with self._read() as conn:
            views = await load_views(conn, [story_id])
        return views.get(story_id)

    # ---- lookups for slash commands, always scoped to the guild's subscribed feeds

    async def search(self, guild_id: int, query: str, *, since: datetime | None = None,
                     feed_id: int | None = None, limit: int = 5,
                     channel_ids: Collection[int] | None = None) -> list[StoryView]:
        """Full-text search in the guild's scope (bot/store/postgres/search.py)."""
        async with self._read() as conn:
            return await fts.search(conn, guild_id, query, since, feed_id, limit, channel_ids)

    async def latest(self, guild_id: int, *, feed_id: int | None = None, limit: int = 5,
                     channel_ids: Collection[int] | None = None) -> list[StoryView]:
        """The guild's newest stories (by when an article of theirs was last stored), newest first."""
        if limit <= 0:
            return []
        extra = Params(first=3)  # $1 guild, $2 fetch
        where = [f"feed_id IN ({GUILD_FEEDS}{extra.channels(channel_ids)})"]
        if feed_id is not None:
            where.append(f"feed_id = {extra.add(feed_id)}")
        sql = f"SELECT story_id FROM articles WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT $2"
        fetch = limit * 3
        async with self._read() as conn:
            while True:
                rows = await conn.fetch(sql, guild_id, fetch, *extra.values)
                ids = list(dict.fromkeys(int(r[0]) for r in rows))
                if len(ids) >= limit or len(rows) < fetch:
                    break
                fetch *= 4
            ids = ids[:limit]
            views = await load_views(conn, ids, guild_id, channel_ids)
        return ordered(views, ids)

    async def quotes_by(self, guild_id: int, who: str, *, since: datetime | None = None,
                        limit: int = 10, channel_ids: Collection[int] | None = None) -> list[QuoteHit]:
        """Quotes whose speaker matches `who` (full name, or surname(s) alone), newest first; the rules are
        the SQLite store's (bot/store/sqlite/articles.py)."""
        norm = normalize_name(who[:200].replace("\x00", ""))
        if norm is None or limit <= 0:
            return []
        extra = Params(first=6)  # $1 guild, $2-$4 the name, $5 limit
        where = ["(q.speaker_norm = $2 OR (q.speaker_last = $3 AND q.speaker_norm LIKE $4))",
                 f"a.feed_id IN ({GUILD_FEEDS}{extra.channels(channel_ids)})"]
        if since is not None:
            where.append(f"a.created_at >= {extra.add(ts(since))}")
        sql = ("SELECT q.text, q.speaker, a.story_id FROM quotes AS q JOIN articles AS a ON a.id = q.article_id "
               f"WHERE {' AND '.join(where)} ORDER BY a.created_at DESC, q.article_id DESC, q.position LIMIT $5")
        async with self._read() as conn:
            rows = await conn.fetch(sql, guild_id, norm, surname(norm), f"% {norm}", limit * 4, *extra.values)
            picked: list[tuple[QuoteRecord, int]] = []
            shown: set[tuple[int, str]] = set()
            for r in rows:
                key = (int(r["story_id"]), " ".join(r["text"].casefold().split()))
                if key in shown:
                    continue
                shown.add(key)
                picked.append((QuoteRecord(text=r["text"], speaker=r["speaker"]), key[0]))
                if len(picked) >= limit:
                    break
            views = await load_views(conn, [sid for _, sid in picked], guild_id, channel_ids)
        return [QuoteHit(quote=q, story=views[sid]) for q, sid in picked if sid in views]

    async def digest_stories(self, channel_id: int, since: datetime, limit: int) -> list[StoryView]:
        """Stories of the channel's feeds that the guild first got since `since`, by how many of the guild's
        feeds carry them, then recency; counted within the guild only, as on SQLite. The channel's
        include/exclude filters apply, as they do to live posts."""
        if limit <= 0:
            return []
        sql = (
            "SELECT c.sid AS story_id, a.title, a.bullets::text AS bullets, s.include, s.exclude, s.guild_id FROM ("
            "  SELECT g.story_id AS sid, count(DISTINCT g.feed_id) AS sources, min(g.created_at) AS first_at"
            "  FROM articles AS g"
            "  WHERE g.story_id IN (SELECT n.story_id FROM subscriptions AS ns JOIN articles AS n"
            "                      ON n.feed_id = ns.feed_id AND n.created_at >= $1 WHERE ns.channel_id = $2)"
            "    AND g.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id ="
            "                      (SELECT guild_id FROM subscriptions WHERE channel_id = $2 LIMIT 1))"
            "  GROUP BY g.story_id HAVING min(g.created_at) >= $1) AS c"
            " JOIN articles AS a ON a.story_id = c.sid"
            " JOIN subscriptions AS s ON s.feed_id = a.feed_id AND s.channel_id = $2"
            " ORDER BY c.sources DESC, c.first_at DESC, c.sid DESC, a.id DESC"
        )
        ids: list[int] = []
        guild_id: int | None = None
        async with self._read() as conn, conn.transaction(readonly=True):
            cursor = await conn.cursor(sql, ts(since), channel_id)
            while len(ids) < limit:
                rows = await cursor.fetch(DIGEST_PAGE)
                if not rows:
                    break
                guild_id = int(rows[0]["guild_id"])
                # Filters run in a worker thread, a page of candidates at a time (a read-only snapshot).
                await extend_passing(ids, rows, limit)
            views = await load_views(conn, ids, guild_id)
        return ordered(views, ids)

    # ---- retention

    async def purge_article_text(self, older_than: datetime) -> int:
        """Drop the full text of articles stored before `older_than`; the generated search column drops the
        text's words with it, keeping title, bullets and quotes searchable. Batches of PURGE_BATCH."""
        cutoff, purged_at = ts(older_than), datetime.now(UTC)
        total = 0
        while True:
            async with self._tx() as conn:
                done = await conn.fetchval(
                    "WITH batch AS (SELECT id FROM articles WHERE text IS NOT NULL AND created_at < $1 "
                    "LIMIT $2 FOR UPDATE SKIP LOCKED), purged AS (UPDATE articles SET text = NULL, "
                    "text_purged_at = $3 FROM batch WHERE articles.id = batch.id RETURNING 1) "
                    "SELECT count(*) FROM purged", cutoff, PURGE_BATCH, purged_at)
            total += int(done)
            if done < PURGE_BATCH:
                break
        if total:
            log.info("purged the text of %s articles stored before %s", total, cutoff)
        return total

    async def tidy_search_index(self) -> int:
        """Move the GIN index's pending list (recent insertions, which every search reads in full) into
        the index proper, which autovacuum also does, but only when it gets to the table. Returns the
        pending-list pages cleared."""
        async with self._read() as conn:
            return int(await conn.fetchval("SELECT gin_clean_pending_list('articles_search_blocks_idx'::regclass)"))
