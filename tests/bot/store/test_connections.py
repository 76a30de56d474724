"""The SQLite connection model: reads never wait for a write transaction, and processes that open one fresh
database at the same moment all start, on one schema."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.store import open_store
from bot.store.sqlite.migrate import load_migrations, statements
from tests.bot.store.test_store import T0

ROOT = Path(__file__).resolve().parents[3]

OPENER = """
import asyncio, os, sys, time
from pathlib import Path
from bot.store import Store, open_store
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
async def main():
    store = await open_store(sys.argv[1])
    await store.close()
asyncio.run(main())
"""


async def test_reads_go_on_while_a_write_transaction_is_open(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "rw.db")
    release, inside = threading.Event(), threading.Event()
    try:
        feed = await store.add_feed("https://a.example/rss", now=T0)

        def long_write(db: sqlite3.Connection) -> None:  # a unit of work that takes its time, on the write thread
            db.execute("UPDATE feeds SET title = 'changing' WHERE id = ?", (feed.id,))
            inside.set()
            release.wait(30)

        writer = asyncio.create_task(store._write_sync(long_write))  # type: ignore[attr-defined]
        assert await asyncio.to_thread(inside.wait, 10)
        # Under the old single connection + lock these reads queued behind the writer forever.
        seen = await asyncio.wait_for(store.get_feed(feed.id), 10)
        results = await asyncio.wait_for(store.search(1, "anything"), 10)
        assert not writer.done(), "the write transaction was still open while the reads ran"
        assert seen is not None and seen.title is None  # the last committed state, not the open write
        assert results == []
        release.set()
        await writer
        after = await store.get_feed(feed.id)
        assert after is not None and after.title == "changing"
    finally:
        release.set()  # a failed read must not leave the writer (and close) waiting for ever
        await store.close()


def test_processes_opening_a_fresh_database_at_once_share_one_schema(tmp_path: Path) -> None:
    latest = load_migrations()[-1].version
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for trial in range(5):
        db, go = tmp_path / f"race{trial}.db", tmp_path / f"go{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(go)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
        time.sleep(0.5)  # let them all reach the start line (correctness does not depend on it)
        go.touch()
        outcomes = [(p.wait(60), p.stderr.read().decode() if p.stderr else "") for p in procs]
        for p in procs:
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        assert all(code == 0 for code, _ in outcomes), [err[-800:] for code, err in outcomes if code]
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == latest
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name = 'feeds'")]
            assert tables == ["feeds"]
            assert conn.execute("SELECT count(*) FROM pragma_table_info('feeds') WHERE name = 'lease_owner'"
                                ).fetchone()[0] == 1
        finally:
            conn.close()


def test_migration_scripts_split_into_whole_statements() -> None:
    script = ("CREATE TABLE a (x TEXT DEFAULT 'a;b'); -- a comment; with a semicolon\n"
              "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 'y'; END;\n-- trailing comment\n")
    parts = statements(script)
    assert len(parts) == 2
    assert "'a;b'" in parts[0] and "CREATE TRIGGER" in parts[1] and "END;" in parts[1]
    for mig in load_migrations():
        assert statements(mig.sql), mig.name


async def test_a_unit_of_work_runs_whole_on_the_database_thread(tmp_path: Path) -> None:
    """`_write_sync`/`_read_sync` (the one-hop primitive every store method builds on) commit all of a unit,
    roll all of it back on error, and read in one snapshot; this also guards aiosqlite's `_execute` API."""
    from bot.store.sqlite.store import SQLiteStore

    store = await SQLiteStore.open(tmp_path / "unit.db")
    try:
        def write(db: sqlite3.Connection, value: str) -> int:
            db.execute("INSERT INTO meta(key, value) VALUES ('unit', ?)", (value,))
            return int(db.execute("SELECT count(*) FROM meta WHERE key = 'unit'").fetchone()[0])

        def failing(db: sqlite3.Connection) -> None:
            db.execute("UPDATE meta SET value = 'changed' WHERE key = 'unit'")
            raise ValueError("half done")

        def read(db: sqlite3.Connection) -> str:
            return str(db.execute("SELECT value FROM meta WHERE key = 'unit'").fetchone()[0])

        assert await store._write_sync(write, "kept") == 1
        try:
            await store._write_sync(failing)
        except ValueError:
            pass
        else:
            raise AssertionError("the error was swallowed")
        assert await store._read_sync(read) == "kept"
        assert await store.get_meta("unit") == "kept"
    finally:
        await store.close()
