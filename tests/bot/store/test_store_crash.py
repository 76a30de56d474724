"""A real kill -9 in the middle of ingest: the database must come back consistent (all-or-nothing).

SQLite-only: these reach into the SQLite connection and its file (crashes, cancellation inside aiosqlite).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.store import StoreError
from bot.store.sqlite.base import on_thread
from bot.store.sqlite.store import SQLiteStore as Store
from tests.bot.store.test_store import T0

WRITER = textwrap.dedent("""
    import asyncio, sys
    from datetime import UTC, datetime
    from bot.models import NewArticle, QuoteRecord
    from bot.store.sqlite.store import SQLiteStore as Store

    async def main(path, feed_id, start):
        store = await Store.open(path)
        n = start
        while True:
            n += 1
            url = f"https://crash.example/{n}"
            art = NewArticle(
                feed_id=feed_id, guid=f"g{n}", url=url, canonical_url=url, title=f"Crash story {n}",
                text="word " * 300, text_source="page", bullets=("one", "two", "three"),
                quotes=(QuoteRecord("A quote", "Ann Lee"), QuoteRecord("Another", None)),
                word_count=300, reading_minutes=2, reduction=0.9,
            )
            await store.add_article(art, story_id=None, now=datetime.now(UTC))
            print(n, flush=True)

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
""")


def _check(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        articles = conn.execute("SELECT id, feed_id, guid, story_id FROM articles").fetchall()
        for article_id, feed_id, guid, story_id in articles:
            seen = conn.execute("SELECT 1 FROM seen_entries WHERE feed_id = ? AND guid = ?", (feed_id, guid))
            assert seen.fetchone(), f"article {article_id} stored without its seen row"
            n = conn.execute("SELECT count(*) FROM deliveries WHERE story_id = ?", (story_id,)).fetchone()[0]
            assert n == 2, f"article {article_id} has {n} deliveries, expected one per channel"
            q = conn.execute("SELECT count(*) FROM quotes WHERE article_id = ?", (article_id,)).fetchone()[0]
            assert q == 2, f"article {article_id} has {q} quotes"
        fts_rows = {r[0] for r in conn.execute("SELECT rowid FROM articles_fts")}
        assert fts_rows == {a[0] for a in articles}
        # nothing half-written: no seen row, story or delivery without its article
        assert conn.execute("SELECT count(*) FROM seen_entries").fetchone()[0] == len(articles)
        assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == len(articles)
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 2 * len(articles)
        return len(articles)
    finally:
        conn.close()


async def _setup(path: Path) -> int:
    store = await Store.open(path)
    try:
        feed = await store.add_feed("https://crash.example/rss", now=T0)
        await store.subscribe(1, 10, feed.id, now=T0)
        await store.subscribe(1, 11, feed.id, now=T0)
        return feed.id
    finally:
        await store.close()


async def _reopen_and_use(path: Path, total: int) -> None:
    store = await Store.open(path)
    try:
        assert len(await store.search(1, "crash")) == 5
        assert len(await store.pending_deliveries(T0.replace(year=2100), limit=1000)) == 2 * total
    finally:
        await store.close()


@pytest.mark.slow
def test_kill_9_during_add_article_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    feed_id = asyncio.run(_setup(path))

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    total = 0
    for round_no, delay in enumerate((0.0, 0.0013, 0.0031)):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(feed_id), str(round_no * 10_000)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert proc.stdout is not None
            written = 0
            deadline = time.monotonic() + 20
            while written < 25 and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                written += 1
            assert written >= 25, f"writer stopped early: {proc.stderr.read() if proc.stderr else ''}"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        stored = _check(path)
        assert stored >= total + written  # every add_article that returned was committed
        total = stored

    # The killed writers' WAL is recovered on open, and the store keeps working afterwards.
    asyncio.run(_reopen_and_use(path, total))


# ---- cancellation: a cancelled coroutine must never leave the connection mid-transaction


async def _store_with_feed(path: Path) -> tuple[Store, int]:
    store = await Store.open(path)
    feed = await store.add_feed("https://cancel.example/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    return store, feed.id


async def test_cancel_while_waiting_for_begin_leaves_no_open_transaction(tmp_path: Path) -> None:
    """Cancelled while BEGIN IMMEDIATE waits for another process's write lock: the BEGIN still runs in
    aiosqlite's thread once the lock frees, so without a rollback the connection stays inside a
    transaction and every later write fails ("cannot start a transaction within a transaction")."""
    from tests.bot.store.test_store import make_article

    path = tmp_path / "cancel.db"
    store, feed_id = await _store_with_feed(path)
    try:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        task = asyncio.create_task(store.set_meta("k", "v"))
        await asyncio.sleep(0.2)  # the store's BEGIN IMMEDIATE is now waiting in busy_timeout
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        other.execute("COMMIT")
        other.close()
        stored = await asyncio.wait_for(store.add_article(make_article(feed_id, 1), story_id=None, now=T0), 10)
        assert stored is not None
        await store.set_meta("k", "after")
        assert not store._conn.in_transaction
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchall() == [("after",)]
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    finally:
        conn.close()


async def test_cancel_at_every_point_of_add_article_is_all_or_nothing(tmp_path: Path) -> None:
    """Cancel add_article after 0, 1, 2 ... loop turns: each one either committed entirely or not at all,
    the lock is released, and the next call works."""
    from tests.bot.store.test_store import make_article

    path = tmp_path / "cancel.db"
    store, feed_id = await _store_with_feed(path)
    await store.subscribe(1, 11, feed_id, now=T0)
    try:
        for turns in range(60):
            task = asyncio.create_task(store.add_article(make_article(feed_id, turns), story_id=None, now=T0))
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            assert not store._write_lock.locked()
            assert store._idle.qsize() == len(store._readers)  # every read connection is back
            await asyncio.wait_for(store.set_meta("probe", str(turns)), 10)
            assert not store._conn.in_transaction
    finally:
        await store.close()
    _check_counts(path, deliveries_per_article=2)


def _check_counts(path: Path, *, deliveries_per_article: int) -> None:
    conn = sqlite3.connect(path)
    try:
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == n
        assert conn.execute("SELECT count(*) FROM seen_entries").fetchone()[0] == n
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == deliveries_per_article * n
        assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == n
    finally:
        conn.close()


async def test_failed_commit_rolls_back(tmp_path: Path) -> None:
    """An error from COMMIT itself must not leave the transaction open for the next caller to commit."""
    path = tmp_path / "commit.db"
    store, _feed_id = await _store_with_feed(path)
    try:
        denied: list[str] = []

        def deny_first_commit(action: int, arg1: str | None, *_: object) -> int:
            if action == sqlite3.SQLITE_TRANSACTION and arg1 == "COMMIT" and not denied:
                denied.append(arg1)
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK

        await on_thread(store._conn, lambda db: db.set_authorizer(deny_first_commit))
        with pytest.raises(StoreError, match="not authorized"):
            await store.set_meta("half", "written")
        assert denied == ["COMMIT"] and not store._conn.in_transaction
        await store.set_meta("next", "ok")  # must neither fail nor commit the failed write
        assert await store.get_meta("half") is None and await store.get_meta("next") == "ok"
    finally:
        await store.close()
