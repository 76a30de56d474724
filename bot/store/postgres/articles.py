"""Articles, stories, search and the lookups built on them, on PostgreSQL.

`add_article` keeps the SQLite store's crash-safety contract: the article, its story, quotes, search
entry (a generated column), the seen guid and every delivery it causes commit in ONE transaction. Two
ingest processes storing the same URL at once are settled by the unique canonical_url: the loser's
insert does nothing and it is handled as the duplicate it is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import cast

import asyncpg

from bot.models import ArticleToStore, NewArticle, QuoteHit, QuoteRecord, StoredArticle, StoryView
from bot.store.common import (
    batch_story,
    bullets_to_json,
    check_batch,
    feed_key,
    filter_text,
    normalize_name,
    ordered,
    quotes_to_json,
    source_name,
    surname,
)
from bot.store.filtering import (
    DIGEST_PAGE,
    Noticer,
    Verdicts,
    decide_batch,
    passing,
    report_timeouts,
    should_queue,
    timed_out,
)
from bot.store.postgres import search as fts
from bot.store.postgres.base import PgBase
from bot.store.postgres.rows import clean_article, opt_ts, ts
from bot.store.postgres.views import Params, load_views

log = logging.getLogger(__name__)

GUILD_FEEDS = "SELECT feed_id FROM subscriptions WHERE guild_id = $1"
PURGE_BATCH = 500
RANK_WINDOW = 1_000  # recency bound: only the newest this-many matches are ranked (a common word's
# matches are most of the table; ranking them all is slow and the newest are what people look for)
RECENT_IDS = 20_000  # first look among the newest this-many articles; all of them only when that holds
# fewer than RANK_WINDOW matches (so the answer is the same, for a fraction of the reads)

_INSERT_ARTICLE = """
INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, bullets, quotes,
                      word_count, reading_minutes, reduction, author, published_at, site_name, image_url,
                      language, fingerprint, created_at, ts_config)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21::regconfig)
ON CONFLICT (canonical_url) DO NOTHING
RETURNING id
"""
_INSERT_QUOTE = ("INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last) "
                 "VALUES ($1, $2, $3, $4, $5, $6)")
_INSERT_SEEN = "INSERT INTO seen_entries (feed_id, guid, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"

# The user's words as a tsquery in configuration {cfg}: {w} the words and {p} the prefixes (parameters).
_TSQUERY = ("(CASE WHEN {p} = '' THEN websearch_to_tsquery({cfg}, {w}) WHEN {w} = '' THEN to_tsquery({cfg}, {p}) "
            "ELSE websearch_to_tsquery({cfg}, {w}) && to_tsquery({cfg}, {p}) END)")
# The configurations in which the query means something an index can find (not empty, not only negations).
_USABLE_CONFIGS = ("SELECT c.cfg::text FROM search_configs AS c, "
                   f"LATERAL (SELECT {_TSQUERY.format(cfg='c.cfg', w='$1', p='$2')} AS tq) AS x "
                   "WHERE numnode(x.tq) > 0 AND querytree(x.tq) <> 'T' ORDER BY 1")
# The newest $4 (RANK_WINDOW) matches among the guild's feeds with id >= $6, ranked; with how many matched.
# Each configuration's query is a separate, constant condition, so the planner sees it and uses the GIN
# index (a per-row query could not); `hits` is materialized so no plan walks the table in id order,
# reading every row's tsvector to test it.
_SEARCH_SQL = """
WITH hits AS MATERIALIZED (
    SELECT a.id, a.story_id, a.ts_config FROM articles AS a
    WHERE a.id >= $6 AND ({match}) AND {where}
), newest AS (
    SELECT hits.id, hits.story_id, hits.ts_config FROM hits ORDER BY hits.id DESC LIMIT $4
)
SELECT newest.story_id, (SELECT count(*) FROM hits) AS matched
FROM newest JOIN articles AS a ON a.id = newest.id
ORDER BY ts_rank_cd('{weights}', a.search, CASE newest.ts_config {cases} END, {norm}) DESC, newest.id DESC
LIMIT $5
"""
_CONFIG_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def search_sql(configs: Sequence[str], where: str) -> str:
    """The search statement for these configurations (names from pg_ts_config, checked again here)."""
    names = [c for c in configs if _CONFIG_NAME.match(c)]
    literals = [f"'{c}'::regconfig" for c in names]
    queries = [(lit, _TSQUERY.format(cfg=lit, w="$2", p="$3")) for lit in literals]
    match = " OR ".join(f"(a.ts_config = {lit} AND a.search @@ {tq})" for lit, tq in queries)
    cases = " ".join(f"WHEN {lit} THEN {tq}" for lit, tq in queries)
    return _SEARCH_SQL.format(match=match, where=where, cases=cases, weights=fts.RANK_WEIGHTS,
                              norm=fts.RANK_NORMALIZATION)


class ArticleOps(PgBase):
    _available_configs: frozenset[str] = frozenset({fts.SIMPLE})

    async def find_article_by_url(self, canonical_url: str) -> int | None:
        async with self._read() as conn:
            found = await conn.fetchval("SELECT id FROM articles WHERE canonical_url = $1",
                                        canonical_url.replace("\x00", ""))
        return None if found is None else int(found)

    async def add_article(self, article: NewArticle, *, story_id: int | None,
                          now: datetime) -> StoredArticle | None:
        """See `bot.store.Store.add_article`; the same contract as the SQLite store: a batch of one."""
        return (await self.add_articles([ArticleToStore(article, story_id)], now=now))[0]

    async def add_articles(self, batch: Sequence[ArticleToStore], *,
                           now: datetime) -> list[StoredArticle | None]:
        """See `bot.store.Store.add_articles`. Filters are decided before the transaction, in a worker
        thread (bot/store/filtering.py); one that runs out of time is reported to its guild as a notice."""
        check_batch(batch)
        if not batch:
            return []
        now = ts(now)
        articles = [clean_article(item.article) for item in batch]
        async with self._read() as conn:
            subs = await conn.fetch("SELECT id, feed_id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = ANY($1::bigint[]) AND NOT paused ORDER BY id",
                                    sorted({a.feed_id for a in articles}))
        verdicts = await decide_batch(subs, [(a.feed_id, filter_text(a.title, a.bullets)) for a in articles])
        try:
            results: list[StoredArticle | None] = []
            async with self._tx() as conn:
                for item, article, decided in zip(batch, articles, verdicts, strict=True):
                    results.append(await self._add_article(conn, article, batch_story(item, results), now,
                                                           decided))
            self._known_configs.update(fts.config_for(a.language, self._available_configs) for a in articles)
            return results
        finally:
            for article, decided in zip(articles, verdicts, strict=True):
                if slow := timed_out(decided):
                    async with self._read() as conn:
                        rows = await conn.fetch("SELECT id, guild_id, channel_id FROM subscriptions "
                                                "WHERE id = ANY($1::bigint[])", slow)
                    await report_timeouts(cast(Noticer, self), article, decided, rows, now)

    async def _add_article(self, conn: asyncpg.Connection, article: NewArticle, story_id: int | None,
                           now: datetime, verdicts: Verdicts) -> StoredArticle | None:
        config = fts.config_for(article.language, self._available_configs)
        if await conn.fetchval("SELECT 1 FROM feeds WHERE id = $1 FOR KEY SHARE", article.feed_id) is None:
            log.info("feed %s is gone; article %s not stored", article.feed_id, article.canonical_url)
            return None
        await conn.execute(_INSERT_SEEN, article.feed_id, article.guid, now)
        # Unique per (feed, canonical_url), as on SQLite (bot/store/sqlite/dedupe.py): a feed's own copy
        # of a URL another feed stored first is kept under feed_key and joins that story.
        key = article.canonical_url
        own_key = feed_key(key, article.feed_id)
        rows = await conn.fetch("SELECT id, story_id, feed_id, canonical_url FROM articles "
                                "WHERE canonical_url = ANY($1::text[])", [key, own_key])
        mine = next((r for r in rows if r["feed_id"] == article.feed_id), None)
        if mine is not None:
            await self._enqueue(conn, article.feed_id, mine["story_id"], verdicts, now)
            return None
        other = next((r for r in rows if r["canonical_url"] == key), None)
        if other is not None:
            key, story_id = own_key, other["story_id"]
            await conn.execute("UPDATE articles SET canonical_url = canonical_url || '#orphan=' || id "
                               "WHERE canonical_url = $1 AND feed_id IS NULL", own_key)
        new_story = story_id is None or await conn.fetchval(
            "SELECT 1 FROM stories WHERE id = $1", story_id) is None
        if new_story:
            story_id = await conn.fetchval("INSERT INTO stories (created_at) VALUES ($1) RETURNING id", now)
        assert story_id is not None
        await self._note_config(conn, config)
        article_id = await self._insert_article(conn, article, story_id, now, config, key=key)
        if article_id is None:  # another process stored this key since we looked
            if new_story:
                await conn.execute("DELETE FROM stories WHERE id = $1", story_id)
            raced = await conn.fetchrow("SELECT story_id, feed_id FROM articles WHERE canonical_url = $1", key)
            if raced is not None and raced["feed_id"] == article.feed_id:
                await self._enqueue(conn, article.feed_id, raced["story_id"], verdicts, now)
            return None
        if not new_story:
            await self._update_source_count(conn, story_id)
        deliveries = await self._enqueue(conn, article.feed_id, story_id, verdicts, now)
        return StoredArticle(article_id=article_id, story_id=story_id, new_story=new_story,
                             deliveries=tuple(deliveries))

    async def _note_config(self, conn: asyncpg.Connection, config: str) -> None:
        if config not in self._known_configs:
            await conn.execute("INSERT INTO search_configs (cfg) VALUES ($1::regconfig) ON CONFLICT DO NOTHING",
                               config)

    async def _insert_article(self, conn: asyncpg.Connection, article: NewArticle, story_id: int,
                              now: datetime, config: str, *, key: str | None = None) -> int | None:
        article_id = await conn.fetchval(
            _INSERT_ARTICLE, story_id, article.feed_id, article.guid, article.url, key or article.canonical_url,
            article.title, article.text, article.text_source, bullets_to_json(article.bullets),
            quotes_to_json(article.quotes), article.word_count, article.reading_minutes, article.reduction,
            article.author, opt_ts(article.published_at), article.site_name, article.image_url,
            article.language, article.fingerprint, now, config)
        if article_id is not None and article.quotes:
            rows = []
            for i, q in enumerate(article.quotes):
                norm = normalize_name(q.speaker)
                rows.append((article_id, i, q.text, q.speaker, norm, surname(norm)))
            await conn.executemany(_INSERT_QUOTE, rows)
        return None if article_id is None else int(article_id)

    async def _enqueue(self, conn: asyncpg.Connection, feed_id: int, story_id: int, verdicts: Verdicts,
                       now: datetime) -> list[int]:
        """Queue the story for the feed's unpaused subscriptions whose filters passed (decided before the
        transaction, see `should_queue`); returns new delivery ids."""
        subs = await conn.fetch("SELECT id, guild_id, channel_id, include, exclude FROM subscriptions "
                                "WHERE feed_id = $1 AND NOT paused ORDER BY id", feed_id)
        ids: list[int] = []
        for sub in subs:
            if not should_queue(verdicts, sub, story_id):
                continue
            new_id = await conn.fetchval(
                "INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                "created_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (channel_id, story_id) DO NOTHING "
                "RETURNING id", sub["guild_id"], sub["channel_id"], sub["id"], story_id, now)
            if new_id is not None:
                ids.append(int(new_id))
        return ids

    async def _update_source_count(self, conn: asyncpg.Connection, story_id: int) -> None:
        rows = await conn.fetch("SELECT f.title AS feed_title, a.site_name, a.url FROM articles AS a "
                                "LEFT JOIN feeds AS f ON f.id = a.feed_id WHERE a.story_id = $1", story_id)
        names = {source_name(r["feed_title"], r["site_name"], r["url"]) for r in rows}
        await conn.execute("UPDATE stories SET source_count = $1 WHERE id = $2", len(names), story_id)

    async def bulk_load(self, articles: Sequence[NewArticle], *, now: datetime) -> int:
        """Many articles as new single-article stories in one transaction, without deliveries (imports,
        benchmarks); duplicates by canonical_url are skipped. Returns how many were stored."""
        now = ts(now)
        stored = 0
        async with self._tx() as conn:
            for raw in articles:
                article = clean_article(raw)
                config = fts.config_for(article.language, self._available_configs)
                await self._note_config(conn, config)
                self._known_configs.add(config)
                if await conn.fetchval("SELECT 1 FROM articles WHERE canonical_url = $1", article.canonical_url):
                    continue
                story_id = await conn.fetchval("INSERT INTO stories (created_at) VALUES ($1) RETURNING id", now)
                await self._insert_article(conn, article, story_id, now, config)
                await conn.execute(_INSERT_SEEN, article.feed_id, article.guid, now)
                stored += 1
        return stored

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
        """Weighted full-text search (title A, bullets B, quotes C, text D) in each story's own language,
        ranked by ts_rank_cd among the newest RANK_WINDOW matches. One row per story; user text is only
        ever a parameter of websearch_to_tsquery (or a word-character prefix), never SQL or tsquery syntax."""
        terms = fts.search_terms(query)
        if terms is None or limit <= 0:
            return []
        extra = Params(first=7)  # $1 guild, $2 words, $3 prefixes, $4 window, $5 fetch, $6 floor
        where = [f"a.feed_id IN ({GUILD_FEEDS}{extra.channels(channel_ids)})"]
        if since is not None:
            where.append(f"a.created_at >= {extra.add(ts(since))}")
        if feed_id is not None:
            where.append(f"a.feed_id = {extra.add(feed_id)}")
        async with self._read() as conn, conn.transaction(readonly=True):
            configs = [r[0] for r in await conn.fetch(_USABLE_CONFIGS, terms.text, terms.prefixes)]
            if not configs:
                return []
            sql = search_sql(configs, " AND ".join(where))
            # For a common word the planner prefers reading rows in order and testing each one's tsvector,
            # which is the expensive part (it is stored out of line); bitmap scans take matches from the GIN
            # index without testing. Only for this transaction.
            newest = await conn.fetchval("SELECT max(id) FROM articles") or 0  # (before: an index scan)
            await conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            floors = [newest - RECENT_IDS, 0] if newest > RECENT_IDS else [0]
            for floor in floors:
                fetch = limit * 3
                while True:  # several articles of one story may rank first: fetch more until `limit` stories
                    window = max(RANK_WINDOW, fetch)
                    rows = await conn.fetch(sql, guild_id, terms.text, terms.prefixes, window, fetch, floor,
                                            *extra.values)
                    ids = list(dict.fromkeys(int(r[0]) for r in rows))
                    if len(ids) >= limit or len(rows) < fetch:
                        break
                    fetch *= 4
                if rows and rows[0]["matched"] >= window:  # the newest matches are all in this range
                    break
            ids = ids[:limit]
            views = await load_views(conn, ids, guild_id, channel_ids)
        return ordered(views, ids)

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
        """Stories of the channel's feeds first stored since `since`, by number of sources then recency;
        the channel's include/exclude filters apply, as they do to live posts."""
        if limit <= 0:
            return []
        sql = (
            "SELECT st.id, a.title, a.bullets::text AS bullets, s.include, s.exclude, s.guild_id"
            " FROM subscriptions AS s"
            " JOIN articles AS a ON a.feed_id = s.feed_id AND a.created_at >= $1"
            " JOIN stories AS st ON st.id = a.story_id AND st.created_at >= $1"
            " WHERE s.channel_id = $2"
            " ORDER BY st.source_count DESC, st.created_at DESC, st.id DESC"
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
                for row, passed in zip(rows, await passing(rows), strict=True):
                    sid = int(row[0])
                    if passed and sid not in ids:
                        ids.append(sid)
                        if len(ids) >= limit:
                            break
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
