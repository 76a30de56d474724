"""Store: schema and migrations, feeds, subscriptions, add_article and the outbox, digests, settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import NewArticle, QuoteRecord
from bot.store import Store, StoreError, open_store
from bot.store.sqlite.migrate import Migration, apply_migrations, load_migrations
from bot.store.sqlite.store import SQLiteStore

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_article(feed_id: int, n: int, *, title: str | None = None, text: str = "Body text of the article.",
                 bullets: tuple[str, ...] = ("First point.", "Second point."),
                 quotes: tuple[QuoteRecord, ...] = (), url: str | None = None,
                 site_name: str | None = None, fingerprint: bytes | None = None,
                 language: str | None = None) -> NewArticle:
    url = url or f"https://news{feed_id}.example/story/{n}"
    return NewArticle(
        feed_id=feed_id, guid=f"guid-{feed_id}-{n}", url=url, canonical_url=url,
        title=title or f"Story number {n}", text=text, text_source="page", bullets=bullets, quotes=quotes,
        word_count=400, reading_minutes=2, reduction=0.8, site_name=site_name, fingerprint=fingerprint,
        published_at=T0, language=language,
    )


def raw(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ---- open and migrations (SQLite-only: these read SQLite internals; PostgreSQL's are in test_postgres.py)


async def test_open_creates_schema_with_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.db"
    store = await SQLiteStore.open(path)
    try:
        conn = store._conn
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
        async with conn.execute("PRAGMA busy_timeout") as cur:
            assert (await cur.fetchone())[0] == 10000
    finally:
        await store.close()
    latest = load_migrations()[-1].version
    assert raw(path, "PRAGMA user_version") == [(latest,)]
    tables = {r[0] for r in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"feeds", "subscriptions", "seen_entries", "stories", "articles", "quotes", "deliveries",
            "digests", "guild_settings", "meta", "articles_fts"} <= tables


async def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = await SQLiteStore.open(path)
    await store.set_meta("k", "v1")
    await store.close()
    store = await SQLiteStore.open(path)
    try:
        assert await store.get_meta("k") == "v1"
    finally:
        await store.close()
    assert raw(path, "PRAGMA user_version") == [(len(load_migrations()),)]


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await (await SQLiteStore.open(path)).close()
    raw(path, "PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="schema version 999"):
        await SQLiteStore.open(path)


async def test_failed_migration_rolls_back_and_keeps_version(tmp_path: Path) -> None:
    import aiosqlite

    async with aiosqlite.connect(tmp_path / "m.db", isolation_level=None) as conn:
        good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
        bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);")
        with pytest.raises(StoreError, match=r"0002_b\.sql"):
            await apply_migrations(conn, [good, bad])
        async with conn.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == 1
        async with conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cur:
            assert await cur.fetchone() is None  # the half-applied file left nothing behind


def test_migrations_are_package_data() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert "CREATE TABLE feeds" in migrations[0].sql


async def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.add_feed("https://x/rss", now=datetime(2024, 1, 1))


# ---- feeds


async def test_feed_lifecycle(store: Store) -> None:
    feed = await store.add_feed("https://a.example/rss", title="A", poll_interval=600, now=T0)
    assert feed.next_poll_at == T0 and feed.poll_interval == 600 and not feed.initialized
    again = await store.add_feed("https://a.example/rss", title="other", now=T0 + timedelta(hours=1))
    assert again == feed  # idempotent on URL
    assert await store.get_feed(feed.id) == feed
    assert await store.get_feed_by_url("https://a.example/rss") == feed
    assert await store.get_feed(999) is None and await store.get_feed_by_url("nope") is None
    assert [f.id for f in await store.list_feeds()] == [feed.id]

    await store.record_poll_failure(feed.id, now=T0, next_poll_at=T0, error="timeout", disable=False)
    failed = await store.record_poll_failure(feed.id, now=T0, next_poll_at=T0, error="404", disable=True)
    assert failed.failure_count == 2 and failed.disabled and failed.disabled_reason == "404"
    assert failed.last_error == "404" and failed.last_polled_at == T0

    await store.set_feed_enabled(feed.id, True, now=T0 + timedelta(minutes=5))
    enabled = await store.get_feed(feed.id)
    assert enabled is not None and not enabled.disabled and enabled.failure_count == 0
    assert enabled.disabled_reason is None and enabled.next_poll_at == T0 + timedelta(minutes=5)

    later = T0 + timedelta(minutes=20)
    await store.record_poll_success(feed.id, now=later, next_poll_at=later + timedelta(minutes=15),
                                    etag='"e1"', last_modified="Wed", title=None, site_url="https://a.example")
    ok = await store.get_feed(feed.id)
    assert ok is not None and ok.title == "A" and ok.site_url == "https://a.example" and ok.etag == '"e1"'
    assert ok.last_error is None and ok.failure_count == 0 and ok.next_poll_at == later + timedelta(minutes=15)

    await store.mark_initialized(feed.id)
    assert (await store.get_feed(feed.id)).initialized  # type: ignore[union-attr]
    await store.set_feed_enabled(feed.id, False, now=later)
    assert (await store.get_feed(feed.id)).disabled  # type: ignore[union-attr]


async def test_due_feeds_needs_subscription_enabled_and_due(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    b = await store.add_feed("https://b/rss", now=T0 - timedelta(minutes=5))
    c = await store.add_feed("https://c/rss", now=T0)
    await store.add_feed("https://lonely/rss", now=T0)  # no subscription: never polled
    for f in (a, b, c):
        await store.subscribe(1, 10, f.id, now=T0)
    await store.record_poll_failure(c.id, now=T0, next_poll_at=T0, error="gone", disable=True)
    due = await store.due_feeds(T0)
    assert [f.id for f in due] == [b.id, a.id]  # oldest due first
    assert [f.id for f in await store.due_feeds(T0, limit=1)] == [b.id]
    assert await store.due_feeds(T0 - timedelta(hours=1)) == []


async def test_seen_guids(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    other = await store.add_feed("https://b/rss", now=T0)
    await store.mark_seen(feed.id, ["g1", "g2", "g2"], now=T0)
    assert await store.unseen_guids(feed.id, ["g1", "g2", "g3"]) == {"g3"}
    assert await store.unseen_guids(other.id, ["g1"]) == {"g1"}  # per feed
    await store.add_article(make_article(feed.id, 7), story_id=None, now=T0)
    assert await store.unseen_guids(feed.id, [f"guid-{feed.id}-7", "new"]) == {"new"}
    many = [f"x{i}" for i in range(1200)]  # past one chunk of bound parameters
    await store.mark_seen(feed.id, many[:1000], now=T0)
    assert await store.unseen_guids(feed.id, many) == set(many[1000:])


async def test_delete_feed_keeps_stories_and_cancels_deliveries(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", title="A", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    stored = await store.add_article(make_article(feed.id, 1), story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 1
    await store.delete_feed(feed.id)
    assert await store.get_feed(feed.id) is None
    assert await store.guild_subscriptions(1) == []
    view = await store.get_story(stored.story_id)
    assert view is not None and view.source.name == "news1.example"  # feed gone: falls back to the host
    assert await store.pending_deliveries(T0 + timedelta(days=1)) == []


# ---- subscriptions


async def test_subscriptions(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    b = await store.add_feed("https://b/rss", now=T0)
    s1 = await store.subscribe(1, 10, a.id, now=T0, include="election")
    assert s1.include == "election" and s1.exclude is None and not s1.paused
    assert await store.subscribe(1, 10, a.id, now=T0) == s1  # idempotent
    s2 = await store.subscribe(1, 11, a.id, now=T0)
    s3 = await store.subscribe(1, 10, b.id, now=T0)
    await store.subscribe(2, 20, b.id, now=T0)
    pairs = await store.guild_subscriptions(1)
    assert [(s.id, f.id) for s, f in pairs] == [(s1.id, a.id), (s3.id, b.id), (s2.id, a.id)]

    with pytest.raises(StoreError, match="invalid filter"):
        await store.set_filters(s1.id, "/(a+)+/", None)
    with pytest.raises(StoreError, match="invalid filter"):
        await store.subscribe(1, 12, a.id, now=T0, exclude="/(x*)*/")
    with pytest.raises(StoreError, match="does not exist"):
        await store.subscribe(1, 12, 999, now=T0)
    await store.set_filters(s1.id, "", "sport")
    s1_now = next(s for s, _ in await store.guild_subscriptions(1) if s.id == s1.id)
    assert s1_now.include is None and s1_now.exclude == "sport"

    assert await store.pause_channel(10, "Missing Access") == 2
    assert await store.pause_channel(10, "again") == 0
    paused = {s.id: s for s, _ in await store.guild_subscriptions(1)}
    assert paused[s1.id].paused and paused[s1.id].paused_reason == "Missing Access" and not paused[s2.id].paused
    await store.resume_subscription(s1.id)
    assert not {s.id: s for s, _ in await store.guild_subscriptions(1)}[s1.id].paused

    assert await store.unsubscribe(1, a.id, channel_id=10) == 1
    assert await store.get_feed(a.id) is not None  # channel 11 still follows it
    assert await store.unsubscribe(1, a.id) == 1
    assert await store.get_feed(a.id) is None  # nobody follows it any more
    assert await store.unsubscribe(1, b.id) == 1
    assert await store.get_feed(b.id) is not None  # guild 2 still does
    assert await store.unsubscribe(1, b.id) == 0


# ---- add_article and the outbox


async def test_add_article_queues_deliveries_and_stores_everything(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", title="Alpha News", now=T0)
    s1 = await store.subscribe(1, 10, feed.id, now=T0)
    await store.subscribe(2, 20, feed.id, now=T0)
    art = make_article(feed.id, 1, quotes=(QuoteRecord("We will win.", "Jane Doe"),), fingerprint=b"\x01\x02")
    stored = await store.add_article(art, story_id=None, now=T0)
    assert stored is not None and stored.new_story and len(stored.deliveries) == 2
    assert await store.find_article_by_url(art.canonical_url) == stored.article_id
    assert await store.find_article_by_url("https://nope") is None
    assert await store.unseen_guids(feed.id, [art.guid]) == set()
    assert await store.recent_fingerprints(T0) == [(stored.story_id, b"\x01\x02")]
    assert await store.recent_fingerprints(T0 + timedelta(seconds=1)) == []

    view = await store.get_story(stored.story_id)
    assert view is not None and view.title == art.title and view.url == art.url
    assert view.source.name == "Alpha News" and view.bullets == art.bullets and view.quotes == art.quotes
    assert view.published_at == T0 and view.source_count == 1 and view.other_sources == ()
    assert await store.get_story(999) is None

    pending = await store.pending_deliveries(T0)
    first = pending[0]
    assert (first.channel_id, first.subscription_id, first.story.story_id) == (10, s1.id, stored.story_id)
    assert await store.pending_deliveries(T0 - timedelta(seconds=1)) == []


async def test_duplicate_url_from_two_feeds(store: Store) -> None:
    a = await store.add_feed("https://a/rss", now=T0)
    b = await store.add_feed("https://b/rss", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    await store.subscribe(1, 10, b.id, now=T0)  # the same channel follows both feeds
    await store.subscribe(1, 11, b.id, now=T0)  # this one only the second
    first = await store.add_article(make_article(a.id, 1, url="https://wire/1"), story_id=None, now=T0)
    assert first is not None and len(first.deliveries) == 1
    dup = make_article(b.id, 2, url="https://wire/1")
    # The second feed gets its own copy (built from its own entry), in the same story.
    second = await store.add_article(dup, story_id=None, now=T0)
    assert second is not None and second.story_id == first.story_id and not second.new_story
    assert await store.unseen_guids(b.id, [dup.guid]) == set()  # recorded as seen for the second feed
    pending = await store.pending_deliveries(T0)
    assert sorted(p.channel_id for p in pending) == [10, 11]  # channel 10 once; 11 still gets the story
    assert {p.story.story_id for p in pending} == {first.story_id}
    assert await store.add_article(dup, story_id=None, now=T0) is None  # the same feed again: a duplicate
    assert len(await store.pending_deliveries(T0)) == 2
    assert await store.feed_has_url(b.id, "https://wire/1") and await store.feed_has_url(a.id, "https://wire/1")


async def test_cluster_join(store: Store) -> None:
    a = await store.add_feed("https://a/rss", title="Alpha", now=T0)
    b = await store.add_feed("https://b/rss", title="Beta", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    await store.subscribe(1, 10, b.id, now=T0)
    await store.subscribe(1, 11, b.id, now=T0)
    first = await store.add_article(make_article(a.id, 1, title="Quake hits city"), story_id=None, now=T0)
    assert first is not None
    second = await store.add_article(make_article(b.id, 1, title="Earthquake strikes"),
                                     story_id=first.story_id, now=T0 + timedelta(minutes=1))
    assert second is not None and not second.new_story and second.story_id == first.story_id
    assert len(second.deliveries) == 1  # channel 10 already has the story; channel 11 gets it
    view = await store.get_story(first.story_id)
    assert view is not None and view.title == "Quake hits city" and view.source.name == "Alpha"
    assert [s.name for s in view.other_sources] == ["Beta"] and view.source_count == 2
    ghost = await store.add_article(make_article(b.id, 2), story_id=12345, now=T0)
    assert ghost is not None and ghost.new_story and ghost.story_id != 12345


async def test_filters_and_paused_at_enqueue(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0, include="election, vote")
    await store.subscribe(1, 11, feed.id, now=T0, exclude="/foot-?ball/")
    await store.subscribe(1, 12, feed.id, now=T0)
    await store.pause_channel(12, "gone")
    s1 = await store.add_article(make_article(feed.id, 1, title="Election night"), story_id=None, now=T0)
    s2 = await store.add_article(make_article(feed.id, 2, title="Local news", bullets=("Football results",)),
                                 story_id=None, now=T0)
    assert s1 is not None and s2 is not None
    pending = await store.pending_deliveries(T0)
    assert sorted((p.channel_id, p.story.story_id) for p in pending) == [
        (10, s1.story_id), (11, s1.story_id)]


async def test_add_article_for_deleted_feed_stores_nothing(store: Store) -> None:
    assert await store.add_article(make_article(42, 1), story_id=None, now=T0) is None
    assert await store.find_article_by_url(make_article(42, 1).canonical_url) is None


async def test_settings_and_meta(store: Store) -> None:
    assert await store.get_log_channel(1) is None
    await store.set_log_channel(1, 123)
    assert await store.get_log_channel(1) == 123
    await store.set_log_channel(1, None)
    assert await store.get_log_channel(1) is None
    assert await store.get_meta("x") is None
    await store.set_meta("x", "1")
    await store.set_meta("x", "2")
    assert await store.get_meta("x") == "2"


async def test_closed_store_refuses(database: str) -> None:
    s = await open_store(database)
    await s.close()
    await s.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        await s.get_meta("x")


async def test_open_turns_unusable_paths_into_store_errors(tmp_path: Path) -> None:
    """SQLite-only: file paths."""
    from bot.store import StoreError

    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are my notes, not a database " * 50)
    with pytest.raises(StoreError, match="is it a newsbot database"):
        await SQLiteStore.open(not_a_db)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the database"):
        await SQLiteStore.open(blocker / "sub" / "news.db")
