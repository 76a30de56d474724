"""Stories and the lookups built on them (latest, quotes, digests; search is in search.py) and retention.
Storing articles is in `bot.store.sqlite.adding`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime

from bot.models import QuoteHit, QuoteRecord, StoryView
from bot.store.common import ordered
from bot.store.filtering import DIGEST_PAGE, extend_passing
from bot.store.sqlite import fts, search
from bot.store.sqlite.adding import AddOps
from bot.store.sqlite.base import all_rows, one_row
from bot.store.sqlite.rows import bullets_from_json, normalize_name, quotes_from_json, surname, to_db
from bot.store.sqlite.views import feed_scope, load_views_sync

log = logging.getLogger(__name__)

PURGE_BATCH = 500
SEARCH_SEGMENTS_BEFORE_MERGE = 6  # FTS5's automerge keeps up to three per level; a merged index has one
MERGE_STEP_PAGES = 256  # index pages written per merge step (one write transaction, tens of milliseconds)
MAX_MERGE_STEPS = 100_000  # a bound on one tidy; at 256 pages a step, far past a 1M-story index

_INSERT_FTS = "INSERT INTO articles_fts (rowid, title, bullets, quotes, text) VALUES (?, ?, ?, ?, ?)"
_DELETE_FTS = ("INSERT INTO articles_fts (articles_fts, rowid, title, bullets, quotes, text) "
               "VALUES ('delete', ?, ?, ?, ?, ?)")


class ArticleOps(AddOps):
    async def find_article_by_url(self, canonical_url: str) -> int | None:
        row = await self._read_sync(one_row, "SELECT id FROM articles WHERE canonical_url = ?", (canonical_url,))
        return None if row is None else int(row[0])

    async def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes]]:
        """(story_id, fingerprint) of articles stored since `since`, for rebuilding the cluster index."""
        rows = await self._read_sync(all_rows, "SELECT story_id, fingerprint FROM articles WHERE created_at >= ? "
                                               "AND fingerprint IS NOT NULL ORDER BY id", (to_db(since),))
        return [(int(r[0]), bytes(r[1])) for r in rows]

    async def get_story(self, story_id: int) -> StoryView | None:
        return (await self._read_sync(load_views_sync, [story_id])).get(story_id)

    # ---- lookups for slash commands, always scoped to the guild's subscribed feeds

    async def search(self, guild_id: int, query: str, *, since: datetime | None = None,
                     feed_id: int | None = None, limit: int = 5,
                     channel_ids: Collection[int] | None = None) -> list[StoryView]:
        """Full-text search in the guild's scope (bot/store/sqlite/search.py), in one thread hop."""
        return await self._read_sync(search.search, guild_id, query, since, feed_id, limit, channel_ids)

    async def latest(self, guild_id: int, *, feed_id: int | None = None, limit: int = 5,
                     channel_ids: Collection[int] | None = None) -> list[StoryView]:
        """The guild's newest stories (by when an article of theirs was last stored), newest first; with
        `channel_ids`, only from feeds posted to those channels."""
        if limit <= 0:
            return []
        feeds, params = feed_scope(guild_id, channel_ids)
        where = [f"feed_id IN ({feeds})"]
        if feed_id is not None:
            where.append("feed_id = ?")
            params.append(feed_id)
        sql = f"SELECT story_id FROM articles WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"

        def unit(db: sqlite3.Connection) -> list[StoryView]:
            fetch = limit * 3
            while True:  # several articles of one story may come first: fetch more until `limit` stories
                rows = db.execute(sql, [*params, fetch]).fetchall()
                ids = list(dict.fromkeys(int(r[0]) for r in rows))
                if len(ids) >= limit or len(rows) < fetch:
                    break
                fetch *= 4
            ids = ids[:limit]
            return ordered(load_views_sync(db, ids, guild_id, channel_ids), ids)

        return await self._read_sync(unit)

    async def quotes_by(self, guild_id: int, who: str, *, since: datetime | None = None,
                        limit: int = 10, channel_ids: Collection[int] | None = None) -> list[QuoteHit]:
        """Quotes whose speaker matches `who` (full name, or surname(s) alone), newest first; with
        `channel_ids`, only from feeds posted to those channels.

        Names match case- and diacritics-insensitively ("jose ramos-horta" finds "José Ramos-Horta"); the
        same quote carried by several outlets of one story is shown once.
        """
        norm = normalize_name(who[:200])
        if norm is None or limit <= 0:
            return []
        # Full name, or the tail of it: "brown" finds "gordon brown", "ramos horta" finds "jose ramos horta".
        # The surname column narrows by index first; normalized names hold only words and spaces, so the
        # LIKE pattern needs no escaping.
        feeds, scope_params = feed_scope(guild_id, channel_ids)
        where = ["(q.speaker_norm = ? OR (q.speaker_last = ? AND q.speaker_norm LIKE ?))",
                 f"a.feed_id IN ({feeds})"]
        params: list[object] = [norm, surname(norm), f"% {norm}", *scope_params]
        if since is not None:
            where.append("a.created_at >= ?")
            params.append(to_db(since))
        sql = ("SELECT q.text, q.speaker, a.story_id FROM quotes AS q JOIN articles AS a ON a.id = q.article_id "
               f"WHERE {' AND '.join(where)} ORDER BY a.created_at DESC, q.article_id DESC, q.position "
               "LIMIT ?")
        params.append(limit * 4)

        def unit(db: sqlite3.Connection) -> list[QuoteHit]:
            picked: list[tuple[QuoteRecord, int]] = []
            shown: set[tuple[int, str]] = set()
            for r in db.execute(sql, params).fetchall():
                key = (int(r["story_id"]), " ".join(r["text"].casefold().split()))
                if key in shown:
                    continue
                shown.add(key)
                picked.append((QuoteRecord(text=r["text"], speaker=r["speaker"]), key[0]))
                if len(picked) >= limit:
                    break
            views = load_views_sync(db, [sid for _, sid in picked], guild_id, channel_ids)
            return [QuoteHit(quote=q, story=views[sid]) for q, sid in picked if sid in views]

        return await self._read_sync(unit)

    async def digest_stories(self, channel_id: int, since: datetime, limit: int) -> list[StoryView]:
        """Stories of the channel's subscribed feeds that the guild first got since `since`, ranked by how
        many of the guild's feeds carry them, then recency. Counted within the guild only: another server's
        feeds neither make a story older (a wire story it got yesterday is new here today) nor rank it
        higher. The channel's include/exclude filters apply, as they do to live posts."""
        if limit <= 0:
            return []
        since_s = to_db(since)
        sql = (
            "SELECT c.sid AS story_id, a.title, a.bullets, s.include, s.exclude, s.guild_id FROM ("
            "  SELECT g.story_id AS sid, count(DISTINCT g.feed_id) AS sources, min(g.created_at) AS first_at"
            "  FROM articles AS g"
            "  WHERE g.story_id IN (SELECT n.story_id FROM subscriptions AS ns JOIN articles AS n"
            "                      ON n.feed_id = ns.feed_id AND n.created_at >= ?1 WHERE ns.channel_id = ?2)"
            "    AND g.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id ="
            "                      (SELECT guild_id FROM subscriptions WHERE channel_id = ?2 LIMIT 1))"
            "  GROUP BY g.story_id HAVING min(g.created_at) >= ?1) AS c"
            " JOIN articles AS a ON a.story_id = c.sid"
            " JOIN subscriptions AS s ON s.feed_id = a.feed_id AND s.channel_id = ?2"
            " ORDER BY c.sources DESC, c.first_at DESC, c.sid DESC, a.id DESC LIMIT ?3 OFFSET ?4"
        )
        ids: list[int] = []
        guild_id: int | None = None
        offset = 0
        while len(ids) < limit:  # a page of candidates per hop; filters run in a worker thread between
            rows = await self._read_sync(all_rows, sql, (since_s, channel_id, DIGEST_PAGE, offset))
            if not rows:
                break
            offset += len(rows)
            guild_id = int(rows[0]["guild_id"])
            await extend_passing(ids, rows, limit)
            if len(rows) < DIGEST_PAGE:
                break
        return ordered(await self._read_sync(load_views_sync, ids, guild_id), ids)

    # ---- retention

    async def purge_article_text(self, older_than: datetime) -> int:
        """Drop the full text of articles stored before `older_than` (summaries, quotes, FTS title/bullets
        kept); returns how many. Works in batches, one transaction each, so ingest is never held up long."""
        cutoff = to_db(older_than)
        purged_at = to_db(datetime.now(UTC))
        total = 0
        while True:
            purged = await self._write_sync(_purge_batch, cutoff, purged_at)
            total += purged
            if purged < PURGE_BATCH:
                break
        if total:
            log.info("purged the text of %s articles stored before %s", total, cutoff)
        return total

    async def tidy_search_index(self) -> int:
        """Merge the full-text index into one segment once it has more than SEARCH_SEGMENTS_BEFORE_MERGE.

        Ranking reads every segment that holds a query's terms (FTS5's bm25 counts all documents with each
        term), so a fragmented index makes every search slower: at 1M stories, eleven segments against one
        cost 60% more per common word. FTS5's own 'optimize' would hold the write lock for the whole
        rewrite (about half a minute at 1M stories); this is the same merge in steps of MERGE_STEP_PAGES
        pages, each its own short write, so ingest keeps storing in between. Returns the steps taken."""
        segments = await self._read_sync(fts.segment_count)
        if segments <= SEARCH_SEGMENTS_BEFORE_MERGE:
            return 0
        steps = 0
        # The first step (a negative page count) puts every segment on one level and starts the merge;
        # the later ones only carry it on, so segments written meanwhile do not restart it.
        while steps < MAX_MERGE_STEPS and await self._write_sync(
                fts.merge_step, MERGE_STEP_PAGES if steps else -MERGE_STEP_PAGES):
            steps += 1
        log.info("merged the search index's %s segments in %s steps", segments, steps)
        return steps


def _purge_batch(db: sqlite3.Connection, cutoff: str, purged_at: str) -> int:
    """One batch of the purge; its FTS rows re-indexed without the text (a contentless index deletes a
    row by the values it was indexed with)."""
    rows = db.execute("SELECT id, title, bullets, quotes, text FROM articles WHERE text IS NOT NULL "
                      "AND created_at < ? LIMIT ?", (cutoff, PURGE_BATCH)).fetchall()
    for r in rows:
        bullets, quotes = bullets_from_json(r["bullets"]), quotes_from_json(r["quotes"])
        db.execute(_DELETE_FTS, (r["id"], *fts.fts_values(r["title"], bullets, quotes, r["text"])))
        db.execute(_INSERT_FTS, (r["id"], *fts.fts_values(r["title"], bullets, quotes, None)))
    db.executemany("UPDATE articles SET text = NULL, text_purged_at = ? WHERE id = ?",
                   [(purged_at, r["id"]) for r in rows])
    return len(rows)
