"""Online backups with SQLite's backup API.

Copying the file is not a backup: in WAL mode the newest transactions live in `-wal` until a checkpoint, so a
copy can miss them or catch a half-written page. The backup API copies a consistent snapshot through a read
transaction, which in WAL mode never blocks the running bot's writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from bot.store.errors import StoreError

log = logging.getLogger(__name__)


def _read_only(path: str) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise StoreError(f"no database at {path}")
    return sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=10)


def backup_database(source: str, dest: str | Path, *, overwrite: bool = False) -> int:
    """Copy `source` to `dest` as one self-contained file; returns the copy's schema version.

    The copy is written beside `dest` and renamed into place, so `dest` is never a half-written file.
    """
    dest = Path(dest)
    if dest.is_dir():
        raise StoreError(f"{dest} is a directory; give the backup file's name")
    if dest.exists() and not overwrite:
        raise StoreError(f"{dest} already exists (use --force to overwrite)")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = _read_only(source)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
                dst.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the copy: one file to move
                check = dst.execute("PRAGMA quick_check").fetchone()
                version = int(dst.execute("PRAGMA user_version").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
        if not check or check[0] != "ok":
            raise StoreError(f"the backup of {source} failed its integrity check: {check}")
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {source}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return version


def pre_migration_backup(path: str, current: int, latest: int) -> Path | None:
    """Back an existing database up before its schema changes; the copy is what `newsbot` restores from if
    an upgrade goes wrong (an older newsbot refuses a newer schema)."""
    if path == ":memory:" or current == 0 or current >= latest:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = Path(f"{path}.v{current}-{stamp}.bak")
    backup_database(path, dest)
    log.warning("backed up the database to %s before migrating it from schema %s to %s", dest, current, latest)
    return dest
