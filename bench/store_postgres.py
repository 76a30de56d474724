"""The PostgreSQL half of `python -m bench.store` (see bench/store.py): the same three rows, beside the
same SQL issued with asyncpg a statement at a time, and beside COPY into a tsvector + GIN table."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from bench.store import NOW, Row, Texts, bulk_beside, fts_rows, setup_feed, write_rows
from bot.models import NewArticle
from bot.store import open_store
from bot.store.common import feed_key, normalize_name, surname


class RawPostgres:
    """The statements of `Store.add_article` for a new story, issued with asyncpg one at a time."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def add(self, a: NewArticle, now: datetime) -> None:
        await self.add_many([a], now)

    async def add_many(self, articles: list[NewArticle], now: datetime) -> None:
        """One transaction for these articles, after one read of the subscriptions' filters."""
        conn = self.conn
        await conn.fetch("SELECT id, feed_id, include, exclude FROM subscriptions WHERE feed_id = ANY($1::bigint[]) "
                         "AND NOT paused ORDER BY id", [articles[0].feed_id])
        async with conn.transaction():
            for a in articles:
                await self.statements(a, now)

    async def statements(self, a: NewArticle, now: datetime) -> None:
        conn = self.conn
        await conn.fetchval("SELECT 1 FROM feeds WHERE id = $1 FOR KEY SHARE", a.feed_id)
        await conn.execute("INSERT INTO seen_entries (feed_id, guid, seen_at) VALUES ($1, $2, $3) "
                           "ON CONFLICT DO NOTHING", a.feed_id, a.guid, now)
        await conn.fetch("SELECT id, story_id, feed_id, canonical_url FROM articles "
                         "WHERE canonical_url = ANY($1::text[])", [a.canonical_url, feed_key(a.canonical_url,
                                                                                             a.feed_id)])
        story_id = await conn.fetchval("INSERT INTO stories (created_at) VALUES ($1) RETURNING id", now)
        article_id = await conn.fetchval(
            "INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, "
            "bullets, quotes, word_count, reading_minutes, reduction, author, published_at, site_name, "
            "image_url, language, fingerprint, created_at, ts_config) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9::jsonb, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21::regconfig) "
            "ON CONFLICT (canonical_url) DO NOTHING RETURNING id",
            story_id, a.feed_id, a.guid, a.url, a.canonical_url, a.title, a.text, a.text_source,
            json.dumps(list(a.bullets)), json.dumps([[q.text, q.speaker] for q in a.quotes]), a.word_count,
            a.reading_minutes, a.reduction, a.author, a.published_at, a.site_name, a.image_url, a.language,
            a.fingerprint, now, "english")
        if a.quotes:
            await conn.executemany(
                "INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                [(article_id, i, q.text, q.speaker, normalize_name(q.speaker), surname(normalize_name(q.speaker)))
                 for i, q in enumerate(a.quotes)])
        for sub in await conn.fetch("SELECT id, guild_id, channel_id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = $1 AND NOT paused ORDER BY id", a.feed_id):
            await conn.fetchval(
                "INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                "created_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (channel_id, story_id) DO NOTHING "
                "RETURNING id", sub["guild_id"], sub["channel_id"], sub["id"], story_id, now)


PLAIN_PG = """
DROP TABLE IF EXISTS plain_search;
CREATE TABLE plain_search (
    id bigint PRIMARY KEY, title text NOT NULL, bullets text NOT NULL, quotes text NOT NULL, text text,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, bullets), 'B') ||
        setweight(to_tsvector('english'::regconfig, quotes), 'C') ||
        setweight(to_tsvector('english'::regconfig, left(coalesce(text, ''), 200000)), 'D')) STORED
);
CREATE INDEX plain_search_idx ON plain_search USING gin (search);
"""


async def fresh_database(admin_url: str, name: str) -> str:
    import asyncpg

    from tests.pg import with_database

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def postgres_rows(args: argparse.Namespace, admin: str, texts: Texts) -> list[Row]:
    import asyncpg

    rows: list[Row] = []
    url = await fresh_database(admin, "newsbot_bench_store")
    raw_url = await fresh_database(admin, "newsbot_bench_raw")
    store = await open_store(url)
    raw_store = await open_store(raw_url)
    feed_id = await setup_feed(store)
    await setup_feed(raw_store)
    await raw_store.close()
    conn = await asyncpg.connect(raw_url)
    raw = RawPostgres(conn)
    async def raw_each(article: NewArticle) -> None:
        await raw.add(article, NOW)

    async def raw_many(articles: list[NewArticle]) -> None:
        await raw.add_many(articles, NOW)

    rows += await write_rows(store, feed_id, texts, args, raw_each, raw_many,
                             "the same SQL, asyncpg, a statement at a time",
                             f"the same SQL, asyncpg, {args.batch} per transaction")
    await store.close()
    if args.stories <= 0:
        await conn.close()
        return rows

    bulk_url = await fresh_database(admin, "newsbot_bench_bulk")
    store = await open_store(bulk_url)
    feed = await store.add_feed("https://outlet1.example/rss", title="Outlet 1", now=NOW)
    await conn.execute(PLAIN_PG)

    async def plain_copy(articles: list[NewArticle], first_id: int) -> None:
        async with conn.transaction():
            await conn.copy_records_to_table("plain_search", records=fts_rows(articles, first_id),
                                             columns=["id", "title", "bullets", "quotes", "text"])

    store_s, base_s = await bulk_beside("postgres", store, feed.id, texts, args.stories, plain_copy)
    await store.close()
    await conn.close()
    rows.append(Row(f"Store.bulk_load, {args.stories:,} stories", store_s, base_s, 1, "s",
                    "COPY into a tsvector + GIN table, same rows"))
    return rows


