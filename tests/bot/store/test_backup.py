"""Online backup while another process writes, and the automatic backup before a migration."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import aiosqlite

from bot.store import open_store
from bot.store.sqlite.migrate import apply_migrations, load_migrations
from tests.bot.test_commands import ROOT, newsbot


def test_backup_while_a_writer_commits_has_every_committed_row(tmp_path):
    db_path = tmp_path / "news.db"
    (tmp_path / "config.toml").write_text('[bot]\ndatabase = "news.db"\nconsole_samples = false\n')
    assert newsbot("run", "--once", cwd=tmp_path).returncode == 0  # creates the schema
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA busy_timeout = 5000")
    # ~8 MB of rows first, so the copy takes long enough for the writer to commit during it.
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                   ((f"pad{i}", "x" * 4000) for i in range(2000)))
    committed = 0
    stop = threading.Event()

    def writer() -> None:
        nonlocal committed
        while not stop.is_set():
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"row{committed:06d}", "y" * 500))
            committed += 1  # after the autocommit returned: this row is durable

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while committed < 200:
            stop.wait(0.01)
        before = committed
        result = newsbot("backup", str(tmp_path / "copy.db"), cwd=tmp_path)
        during = committed - before
    finally:
        stop.set()
        thread.join()
        db.close()
    assert result.returncode == 0, result.stderr
    assert "backed up" in result.stdout and "schema version" in result.stdout
    assert during > 0, "the writer kept committing while the backup ran"
    assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file

    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        rows = [r[0] for r in copy.execute("SELECT key FROM meta WHERE key LIKE 'row%' ORDER BY key")]
        assert copy.execute("SELECT count(*) FROM meta WHERE key LIKE 'pad%'").fetchone() == (2000,)
    finally:
        copy.close()
    assert len(rows) >= before, "every row committed before the backup started is in the copy"
    assert rows == [f"row{i:06d}" for i in range(len(rows))], "a consistent prefix: no gaps, no torn rows"

    again = newsbot("backup", str(tmp_path / "copy.db"), cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    missing = newsbot("backup", str(tmp_path / "x.db"), "-c", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such config file" in missing.stderr


def test_backup_of_a_missing_database_is_one_line(tmp_path):
    result = newsbot("backup", str(tmp_path / "copy.db"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"newsbot: no database at {tmp_path / 'newsbot.db'}"


async def test_an_existing_database_is_backed_up_before_migrating(tmp_path):
    path = tmp_path / "news.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    await apply_migrations(conn, load_migrations()[:1])  # a database made by an older newsbot
    await conn.execute("INSERT INTO meta (key, value) VALUES ('old', 'row')")
    await conn.close()

    store = await open_store(path)
    await store.close()
    backups = list(tmp_path.glob("news.db.v1-*.bak"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    try:
        assert copy.execute("PRAGMA user_version").fetchone() == (1,)
        assert copy.execute("SELECT value FROM meta WHERE key = 'old'").fetchone() == ("row",)
    finally:
        copy.close()

    store = await open_store(path)  # already current: no second backup
    await store.close()
    assert len(list(tmp_path.glob("news.db.v1-*.bak"))) == 1
    fresh = tmp_path / "fresh.db"
    await (await open_store(fresh)).close()  # a new database has nothing to back up
    assert list(tmp_path.glob("fresh.db.*.bak")) == []


def test_restore_is_copying_the_backup_back(tmp_path):
    """README's restore: stop the bot, put the copy in place, remove the old -wal/-shm, start."""
    (tmp_path / "config.toml").write_text('[bot]\ndatabase = "news.db"\nconsole_samples = false\n')
    assert newsbot("run", "--once", cwd=tmp_path).returncode == 0
    assert newsbot("backup", "copy.db", cwd=tmp_path).returncode == 0
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"news.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "copy.db").replace(tmp_path / "news.db")
    result = subprocess.run([sys.executable, "-m", "bot", "feeds", "list"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "no feeds yet" in result.stdout
