"""PostgreSQL-only: schema and migrations (advisory lock, two real processes starting at once, 0008 on a
populated store), connection errors, and the search index."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from bot.store import StoreError, open_store
from bot.store.postgres.migrate import Migration, apply_migrations, load_migrations
from bot.store.postgres.store import PostgresStore, redacted

ROOT = Path(__file__).resolve().parents[3]


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_open_creates_schema_and_reopen_keeps_data(pg_empty_url: str) -> None:
    store = await open_store(pg_empty_url)
    assert isinstance(store, PostgresStore)
    await store.set_meta("k", "v1")
    await store.close()
    store = await open_store(pg_empty_url.replace("postgresql://", "postgres://", 1))
    try:
        assert await store.get_meta("k") == "v1"
    finally:
        await store.close()
    versions = [r[0] for r in await _fetch(pg_empty_url, "SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in load_migrations()]
    tables = {r[0] for r in await _fetch(pg_empty_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"feeds", "subscriptions", "seen_entries", "stories", "articles", "quotes", "deliveries",
            "delivery_lanes", "digests", "guild_settings", "meta", "search_configs"} <= tables


async def test_database_newer_than_code_is_refused(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')")
    await conn.close()
    with pytest.raises(StoreError, match="schema version 999"):
        await open_store(pg_url)


async def test_failed_migration_rolls_back_and_keeps_version(pg_empty_url: str) -> None:
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x integer);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x integer); INSERT INTO nope VALUES (1);")
    conn = await asyncpg.connect(pg_empty_url)
    try:
        with pytest.raises(StoreError, match=r"0002_b\.sql"):
            await apply_migrations(conn, [good, bad])
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
        assert await conn.fetchval("SELECT to_regclass('b')") is None  # nothing of the failed file is left
    finally:
        await conn.close()


async def test_unreachable_server_is_a_store_error_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://bot:s3cret@/newsbot?host={tmp_path}&port=1"  # no server on this socket
    with pytest.raises(StoreError, match="cannot connect") as caught:
        await open_store(url)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)
    assert redacted("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


_START = textwrap.dedent("""
    import asyncio, os, sys
    from bot.store import open_store

    async def main(url):
        print("ready", flush=True)
        sys.stdin.readline()  # start together: both wait for the same signal
        store = await open_store(url)
        await store.set_meta("started-" + str(os.getpid()), "yes")
        await store.close()

    asyncio.run(main(sys.argv[1]))
""")


async def test_two_processes_starting_at_once_create_one_schema(pg_empty_url: str) -> None:
    """Two `newsbot` processes on a fresh database: both start (no "relation already exists"), one schema."""
    pipe = asyncio.subprocess.PIPE
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", _START, pg_empty_url, cwd=ROOT,
                                                  stdin=pipe, stdout=pipe, stderr=pipe) for _ in range(2)]
    for proc in procs:  # both imported and waiting
        assert proc.stdout is not None and await proc.stdout.readline() == b"ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
    results = await asyncio.gather(*(asyncio.wait_for(proc.communicate(), 120) for proc in procs))
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
    rows = await _fetch(pg_empty_url, "SELECT version FROM schema_migrations ORDER BY 1")
    assert [r[0] for r in rows] == [m.version for m in load_migrations()]
    started = await _fetch(pg_empty_url, "SELECT key FROM meta WHERE key LIKE 'started-%'")
    assert len(started) == 2


async def test_search_uses_the_gin_index(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("SET enable_seqscan = off")  # tiny tables: make the planner show what it can use
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN SELECT id FROM articles WHERE search @@ websearch_to_tsquery('english', 'volcano')"))
    finally:
        await conn.close()
    assert "articles_search_blocks_idx" in plan


async def test_the_store_connections_never_jit_compile(pg_url: str) -> None:
    """A search's plan at a million stories is costed past jit_above_cost; compiling it took longer than
    running it, so the store's connections have JIT off."""
    store = await PostgresStore.open(pg_url, pool_size=1)
    try:
        async with store._read() as conn:
            assert await conn.fetchval("SHOW jit") == "off"
    finally:
        await store.close()


async def test_the_search_tsvector_stays_in_the_row(pg_url: str) -> None:
    """Every search reads its window rows' tsvectors (ranks, phrase positions); out of line in the TOAST
    table each read cost a third more, so the column is stored in the row (STORAGE MAIN)."""
    conn = await asyncpg.connect(pg_url)
    try:
        storage = await conn.fetchval("SELECT attstorage::text FROM pg_attribute "
                                      "WHERE attrelid = 'articles'::regclass AND attname = 'search'")
    finally:
        await conn.close()
    assert storage == "m"


async def test_migration_0008_replaces_the_search_indexes_of_a_populated_store(pg_empty_url: str) -> None:
    """A store at schema 7 with articles and the newest articles' partial index (what stop 16 built) is
    brought to 0008: the old indexes and their bookkeeping are gone, the block index is there, and the
    stored articles are found by search as before."""
    from tests.bot.store.test_store import T0, make_article

    store = await PostgresStore.open(pg_empty_url, pool_size=1)
    try:
        feed = await store.add_feed("https://a/rss", title="Alpha", now=T0)
        await store.subscribe(1, 10, feed.id, now=T0)
        for n in range(6):
            await store.add_article(make_article(feed.id, n, title=f"Volcano erupts {n}"), story_id=None, now=T0)
        before = [v.story_id for v in await store.search(1, "volcano")]
    finally:
        await store.close()
    assert len(before) == 5
    conn = await asyncpg.connect(pg_empty_url)
    try:  # back to what schema 7 looked like, with a partial index built and one left by a killed build
        await conn.execute("""
            DELETE FROM schema_migrations WHERE version = 8;
            DROP INDEX articles_search_blocks_idx;
            DROP FUNCTION newsbot_id_blocks(bigint);
            ALTER TABLE articles ALTER COLUMN search SET STORAGE EXTENDED;
            CREATE INDEX articles_search_idx ON articles USING gin (search);
            CREATE INDEX articles_search_recent_3 ON articles USING gin (search) WHERE id >= 3;
            CREATE INDEX articles_search_recent_1 ON articles USING gin (search) WHERE id >= 1;
            CREATE TABLE search_recent (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                                        boundary bigint NOT NULL, index_name text NOT NULL);
            INSERT INTO search_recent VALUES (true, 3, 'articles_search_recent_3');
        """)
    finally:
        await conn.close()
    store = await PostgresStore.open(pg_empty_url, pool_size=1)
    try:
        assert [v.story_id for v in await store.search(1, "volcano")] == before
    finally:
        await store.close()
    rows = await _fetch(pg_empty_url, "SELECT indexname FROM pg_indexes WHERE tablename = 'articles'")
    indexes = {str(r[0]) for r in rows}
    assert "articles_search_blocks_idx" in indexes
    assert not {i for i in indexes if i.startswith(("articles_search_recent", "articles_search_idx"))}
    assert [tuple(r) for r in await _fetch(pg_empty_url, "SELECT to_regclass('search_recent')")] == [(None,)]
