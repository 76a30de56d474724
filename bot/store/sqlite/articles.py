"""Articles, stories, the FTS index and the lookups built on them (search, latest, quotes, digests).

`add_article` is the crash-safety backbone of ingest: the article, its story, quotes, FTS row, the seen
guid and every delivery it causes are written in ONE transaction, so a kill -9 at any point leaves either
all of it or none of it — never a stored article that no channel will receive, nor a delivery for an
article that is not there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import aiosqlite

from bot.models import NewArticle, QuoteHit, QuoteRecord, StoredArticle, StoryView
from bot.store.common import feed_key, ordered
from bot.store.filtering import should_queue
from bot.store.sqlite import fts
from bot.store.sqlite.base import chunks, execute, fetchall, fetchone
from bot.store.sqlite.filtering import (
    DIGEST_PAGE,
    Verdicts,
    digest_verdicts,
    filter_text,
    filter_verdicts,
    report_timeouts,
)
from bot.store.sqlite.notices import NoticeOps
from bot.store.sqlite.rows import (
    bullets_from_json,
    bullets_to_json,
    normalize_name,
    opt_to_db,
    quotes_from_json,
    quotes_to_json,
    source_name,
    surname,
    to_db,
)
from bot.store.sqlite.views import feed_scope, load_views

log = logging.getLogger(__name__)

PURGE_BATCH = 500
FAST_SEARCH_HITS = 200  # globally best matches ranked before guild scoping
HUGE_MATCH = 20_000  # a query matching more articles than this ranks the newest ones first ...
RECENT_WINDOW = 10_000  # ... among this many

_INSERT_ARTICLE = """
INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, bullets, quotes,
                      word_count, reading_minutes, reduction, author, published_at, site_name, image_url,
                      language, fingerprint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_INSERT_QUOTE = """
INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last) VALUES (?, ?, ?, ?, ?, ?)
"""
_INSERT_FTS = "INSERT INTO articles_fts (rowid, title, bullets, quotes, text) VALUES (?, ?, ?, ?, ?)"
_DELETE_FTS = ("INSERT INTO articles_fts (articles_fts, rowid, title, bullets, quotes, text) "
               "VALUES ('delete', ?, ?, ?, ?, ?)")


def _article_params(article: NewArticle, story_id: int, now: datetime) -> tuple[object, ...]:
    return (
        story_id, article.feed_id, article.guid, article.url, article.canonical_url, article.title,
        article.text, article.text_source, bullets_to_json(article.bullets), quotes_to_json(article.quotes),
        article.word_count, article.reading_minutes, article.reduction, article.author,
        opt_to_db(article.published_at), article.site_name, article.image_url, article.language,
        article.fingerprint, to_db(now),
    )


def _quote_params(article_id: int, quotes: Sequence[QuoteRecord]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for i, q in enumerate(quotes):
        norm = normalize_name(q.speaker)
        rows.append((article_id, i, q.text, q.speaker, norm, surname(norm)))
    return rows


class ArticleOps(NoticeOps):
    async def find_article_by_url(self, canonical_url: str) -> int | None:
        async with self._read() as conn:
            row = await fetchone(conn, "SELECT id FROM articles WHERE canonical_url = ?", (canonical_url,))
        return None if row is None else int(row[0])

    async def add_article(self, article: NewArticle, *, story_id: int | None,
                          now: datetime) -> StoredArticle | None:
        """Store an article, in ONE transaction with everything that follows from it:

        - the article row, unique per (feed, canonical_url): when this feed already stored the URL, the
          call returns None, marks the guid seen and queues that story for the feed's channels that lack
          it. When another feed stored the URL first, this feed's own article is stored too (under
          `feed_key`) and joins that story: a server's view is built only from its own feeds' entries,
        - a new story when `story_id` is None (or names a story that no longer exists), else the article
          joins that story (cluster),
        - its quotes (searchable by speaker), its FTS row (title, bullets, quotes, text),
        - the guid marked seen for its feed,
        - a pending delivery for every unpaused subscription of article.feed_id whose include/exclude
          filter matches (bot.pipeline.filters), unique per (channel_id, story_id) so a channel never gets one
          story twice, even from two feeds or two outlets of the same cluster.

        Filters are user-supplied regexes: they are evaluated BEFORE the write transaction, in a worker
        thread, so neither the event loop nor other writers wait for them. A filter that runs out of time
        is reported to its guild (a notice for the log channel) instead of dropping the story silently.

        Returns None too when the feed was deleted while the article was being fetched.
        """
        now_s = to_db(now)
        verdicts = await filter_verdicts(self, article.feed_id, filter_text(article.title, article.bullets))
        try:
            return await self._add_article(article, story_id, now, now_s, verdicts)
        finally:
            await report_timeouts(self, article, verdicts, now)

    async def _add_article(self, article: NewArticle, story_id: int | None, now: datetime, now_s: str,
                           verdicts: Verdicts) -> StoredArticle | None:
        async with self._tx() as conn:
            if await fetchone(conn, "SELECT 1 FROM feeds WHERE id = ?", (article.feed_id,)) is None:
                log.info("feed %s is gone; article %s not stored", article.feed_id, article.canonical_url)
                return None
            await execute(conn, "INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)",
                          (article.feed_id, article.guid, now_s))
            key = article.canonical_url
            own_key = feed_key(key, article.feed_id)
            rows = await fetchall(conn, "SELECT id, story_id, feed_id, canonical_url FROM articles "
                                        "WHERE canonical_url IN (?, ?)", (key, own_key))
            mine = next((r for r in rows if r["feed_id"] == article.feed_id), None)
            if mine is not None:
                queued = await self._enqueue(conn, article.feed_id, mine["story_id"], verdicts, now_s)
                log.debug("duplicate %s (article %s); %s channels newly queued",
                          article.canonical_url, mine["id"], len(queued))
                return None
            # Another feed (maybe another server's) holds this URL: this feed still gets its own copy,
            # built from its own entry, joined to the same story so a channel following both gets it once.
            other = next((r for r in rows if r["canonical_url"] == key), None)
            if other is not None:
                key = own_key
                story_id = other["story_id"]
                await execute(conn, "UPDATE articles SET canonical_url = canonical_url || '#orphan=' || id "
                                    "WHERE canonical_url = ? AND feed_id IS NULL", (own_key,))
            new_story = True
            if story_id is not None:
                new_story = await fetchone(conn, "SELECT 1 FROM stories WHERE id = ?", (story_id,)) is None
            if new_story:
                async with conn.execute("INSERT INTO stories (created_at) VALUES (?)", (now_s,)) as cur:
                    story_id = cur.lastrowid
            assert story_id is not None
            article_id = await self._insert_article(conn, article, story_id, now, key=key)
            if not new_story:
                await self._update_source_count(conn, story_id)
            deliveries = await self._enqueue(conn, article.feed_id, story_id, verdicts, now_s)
        return StoredArticle(article_id=article_id, story_id=story_id, new_story=new_story,
                             deliveries=tuple(deliveries))

    async def _insert_article(self, conn: aiosqlite.Connection, article: NewArticle, story_id: int,
                              now: datetime, *, key: str | None = None) -> int:
        """The article row, its quotes and its search-index row; returns the article id."""
        params = _article_params(article, story_id, now)
        if key is not None:
            params = (*params[:4], key, *params[5:])
        async with conn.execute(_INSERT_ARTICLE, params) as cur:
            article_id = cur.lastrowid
        assert article_id is not None
        if article.quotes:
            await conn.executemany(_INSERT_QUOTE, _quote_params(article_id, article.quotes))
        await execute(conn, _INSERT_FTS,
                      (article_id, *fts.fts_values(article.title, article.bullets, article.quotes, article.text)))
        return article_id

    async def _enqueue(self, conn: aiosqlite.Connection, feed_id: int, story_id: int,
                       verdicts: Verdicts, now_s: str) -> list[int]:
        """Queue the story for the feed's unpaused subscriptions whose filters passed (decided before the
        transaction); returns new delivery ids. A subscription added or re-filtered in between is decided
        here only when it has no filter at all: no regex ever runs inside the transaction."""
        subs = await fetchall(conn, "SELECT id, guild_id, channel_id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = ? AND paused = 0 ORDER BY id", (feed_id,))
        ids: list[int] = []
        for sub in subs:
            if not should_queue(verdicts, sub, story_id):
                continue
            row = await fetchone(
                conn,
                "INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, story_id) DO NOTHING RETURNING id",
                (sub["guild_id"], sub["channel_id"], sub["id"], story_id, now_s, now_s),
            )
            if row is not None:
                ids.append(int(row[0]))
        return ids

    async def _update_source_count(self, conn: aiosqlite.Connection, story_id: int) -> None:
        rows = await fetchall(conn, "SELECT f.title AS feed_title, a.site_name, a.url FROM articles AS a "
                                    "LEFT JOIN feeds AS f ON f.id = a.feed_id WHERE a.story_id = ?", (story_id,))
        names = {source_name(r["feed_title"], r["site_name"], r["url"]) for r in rows}
        await execute(conn, "UPDATE stories SET source_count = ? WHERE id = ?", (len(names), story_id))

    async def bulk_load(self, articles: Sequence[NewArticle], *, now: datetime) -> int:
        """Store many articles as new single-article stories in one transaction, without deliveries.

        For imports and benchmarks, where per-article transactions would dominate the run time; duplicates
        (by canonical_url) are skipped. Returns how many were stored.
        """
        now_s = to_db(now)
        stored = 0
        async with self._tx() as conn:
            for article in articles:
                if await fetchone(conn, "SELECT 1 FROM articles WHERE canonical_url = ?",
                                  (article.canonical_url,)):
                    continue
                async with conn.execute("INSERT INTO stories (created_at) VALUES (?)", (now_s,)) as cur:
                    story_id = cur.lastrowid
                assert story_id is not None
                await self._insert_article(conn, article, story_id, now)
                await execute(conn, "INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)",
                              (article.feed_id, article.guid, now_s))
                stored += 1
        return stored

    async def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes]]:
        """(story_id, fingerprint) of articles stored since `since`, for rebuilding the cluster index."""
        async with self._read() as conn:
            rows = await fetchall(conn, "SELECT story_id, fingerprint FROM articles WHERE created_at >= ? "
                                        "AND fingerprint IS NOT NULL ORDER BY id", (to_db(since),))
        return [(int(r[0]), bytes(r[1])) for r in rows]

    async def get_story(self, story_id: int) -> StoryView | None:
        async with self._read() as conn:
            views = await load_views(conn, [story_id])
        return views.get(story_id)

    # ---- lookups for slash commands, always scoped to the guild's subscribed feeds

    async def search(self, guild_id: int, query: str, *, since: datetime | None = None,
                     feed_id: int | None = None, limit: int = 5,
                     channel_ids: Collection[int] | None = None) -> list[StoryView]:
        """FTS5 BM25 over title, bullets, quotes and text. `query` is user text: it is turned into a safe
        FTS expression (terms quoted), never passed raw. Empty/garbage query -> []. One row per story.
        With `channel_ids`, only feeds posted to those channels (the ones the asking member can view)."""
        expr = fts.match_expression(query)
        if expr is None or limit <= 0:
            return []
        weights = ", ".join(str(w) for w in fts.BM25_WEIGHTS)
        feeds, params = feed_scope(guild_id, channel_ids)
        where = [f"a.feed_id IN ({feeds})"]
        if since is not None:
            where.append("a.created_at >= ?")
            params.append(to_db(since))
        if feed_id is not None:
            where.append("a.feed_id = ?")
            params.append(feed_id)
        # Fast path: rank in the FTS index alone (no per-match row lookups), keep the best few hundred,
        # then scope them to the guild. Scoping every match first costs a B-tree seek per match, which is
        # most of the time for a common word at 100k stories.
        fast = (
            f"SELECT a.story_id FROM (SELECT rowid AS rid, bm25(articles_fts, {weights}) AS score"
            f" FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ? ORDER BY score LIMIT ?) AS hits"
            f" JOIN articles AS a ON a.id = hits.rid WHERE {' AND '.join(where)} ORDER BY hits.score, a.id DESC"
        )
        # Slow path, when the guild's (or feed's, or period's) stories are too rare among the global best:
        # scope every match. bm25() cannot be used under an aggregate, so a story's best article is picked
        # in Python: rows come best first and a story's later (worse) articles are skipped.
        slow = (
            f"SELECT a.story_id FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND articles_fts.rowid >= ? AND {' AND '.join(where)}"
            f" ORDER BY bm25(articles_fts, {weights}), a.id DESC LIMIT ?"
        )
        top = max(FAST_SEARCH_HITS, limit * 20)
        async with self._read() as conn:
            counted = await fetchone(conn, "SELECT count(*) FROM (SELECT 1 FROM articles_fts "
                                           "WHERE articles_fts MATCH ? LIMIT ?)", (expr, HUGE_MATCH + 1))
            matched = int(counted[0]) if counted else 0
            floors = [0]
            if matched > HUGE_MATCH:
                # A term in most stories ("the", "said") has a near-zero BM25 weight, so ranking all of
                # them is slow and says little: rank the newest articles first.
                newest = await fetchone(conn, "SELECT max(id) FROM articles")
                floors.insert(0, int(newest[0] or 0) - RECENT_WINDOW if newest else 0)
            ids: list[int] = []
            for floor in floors:
                rows = await fetchall(conn, fast, [expr, floor, top, *params])
                ids = list(dict.fromkeys(int(r[0]) for r in rows))
                if len(ids) < limit and (matched > top or floor > 0):
                    fetch = limit * 3
                    while True:
                        rows = await fetchall(conn, slow, [expr, floor, *params, fetch])
                        ids = list(dict.fromkeys(int(r[0]) for r in rows))
                        if len(ids) >= limit or len(rows) < fetch:
                            break
                        fetch *= 4
                if len(ids) >= limit:
                    break
            ids = ids[:limit]
            views = await load_views(conn, ids, guild_id, channel_ids)
        return ordered(views, ids)

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
        fetch = limit * 3
        async with self._read() as conn:
            while True:  # several articles of one story may come first: fetch more until `limit` stories
                rows = await fetchall(conn, sql, [*params, fetch])
                ids = list(dict.fromkeys(int(r[0]) for r in rows))
                if len(ids) >= limit or len(rows) < fetch:
                    break
                fetch *= 4
            ids = ids[:limit]
            views = await load_views(conn, ids, guild_id, channel_ids)
        return ordered(views, ids)

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
        async with self._read() as conn:
            rows = await fetchall(conn, sql, params)
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
        """Stories of the channel's subscribed feeds first stored since `since`, ranked by number of
        sources (cluster size) then recency. The channel's include/exclude filters apply, as they do to
        live posts."""
        if limit <= 0:
            return []
        since_s = to_db(since)
        sql = (
            "SELECT st.id, a.title, a.bullets, s.include, s.exclude, s.guild_id FROM subscriptions AS s"
            " JOIN articles AS a ON a.feed_id = s.feed_id AND a.created_at >= ?"
            " JOIN stories AS st ON st.id = a.story_id AND st.created_at >= ?"
            " WHERE s.channel_id = ?"
            " ORDER BY st.source_count DESC, st.created_at DESC, st.id DESC"
        )
        ids: list[int] = []
        guild_id: int | None = None
        async with self._read() as conn:
            async with conn.execute(sql, (since_s, since_s, channel_id)) as cur:
                while len(ids) < limit:
                    rows = list(await cur.fetchmany(DIGEST_PAGE))
                    if not rows:
                        break
                    guild_id = int(rows[0]["guild_id"])
                    # Filters run in a worker thread, a page of candidates at a time.
                    verdicts = await asyncio.to_thread(digest_verdicts, rows)
                    for row, passed in zip(rows, verdicts, strict=True):
                        sid = int(row[0])
                        if passed and sid not in ids:
                            ids.append(sid)
                            if len(ids) >= limit:
                                break
            views = await load_views(conn, ids, guild_id)
        return ordered(views, ids)

    # ---- retention

    async def purge_article_text(self, older_than: datetime) -> int:
        """Drop the full text of articles stored before `older_than` (summaries, quotes, FTS title/bullets
        kept); returns how many. Works in batches, one transaction each, so ingest is never held up long."""
        cutoff = to_db(older_than)
        purged_at = to_db(datetime.now(UTC))
        total = 0
        while True:
            async with self._tx() as conn:
                rows = await fetchall(conn, "SELECT id, title, bullets, quotes, text FROM articles "
                                            "WHERE text IS NOT NULL AND created_at < ? LIMIT ?",
                                      (cutoff, PURGE_BATCH))
                for chunk in chunks(rows, 100):
                    for r in chunk:
                        bullets, quotes = bullets_from_json(r["bullets"]), quotes_from_json(r["quotes"])
                        await execute(conn, _DELETE_FTS, (r["id"], *fts.fts_values(r["title"], bullets, quotes,
                                                                                   r["text"])))
                        await execute(conn, _INSERT_FTS, (r["id"], *fts.fts_values(r["title"], bullets, quotes,
                                                                                   None)))
                    await conn.executemany("UPDATE articles SET text = NULL, text_purged_at = ? WHERE id = ?",
                                           [(purged_at, r["id"]) for r in chunk])
            total += len(rows)
            if len(rows) < PURGE_BATCH:
                break
        if total:
            log.info("purged the text of %s articles stored before %s", total, cutoff)
        return total
