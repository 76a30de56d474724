"""`SQLiteStore`, the SQLite implementation of `bot.store.Store`: opening and migrations. The methods live
by unit of work: feeds and subscriptions in `feeds`, the outbox, digests and settings in `outbox`, storing
articles in `adding`, stories and lookups in `articles`, claims in `claims`; each runs its whole transaction
as one synchronous function on the connection's thread (`StoreBase._write_sync`/`_read_sync`).

The database is one file in WAL mode: readers (a backup, `sqlite3` at the shell) never block the bot, and
synchronous=NORMAL is durable across a process crash (a power cut may lose the last transactions, never
corrupt the file).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from bot.store.errors import StoreError
from bot.store.sqlite.articles import ArticleOps
from bot.store.sqlite.backup import pre_migration_backup
from bot.store.sqlite.claims import ClaimOps
from bot.store.sqlite.dedupe import DedupeOps
from bot.store.sqlite.entries import EntryFailureOps
from bot.store.sqlite.feeds import FeedOps
from bot.store.sqlite.migrate import apply_migrations
from bot.store.sqlite.outbox import PENDING_SQL, OutboxOps
from bot.store.sqlite.post_settings import PostSettingsOps

log = logging.getLogger(__name__)

# busy_timeout first: switching a fresh file to WAL takes a lock that another starting process may hold.
PRAGMAS = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
READ_CONNECTIONS = 3
LOCKED_RETRY_SECONDS = 10.0  # as long as busy_timeout
__all__ = ["PENDING_SQL", "PRAGMAS", "READ_CONNECTIONS", "SQLiteStore"]


async def _pragma(conn: aiosqlite.Connection, pragma: str) -> None:
    """Switching a fresh file to WAL can fail at once with "database is locked" while another process
    opening the same file holds its lock (SQLite does not always call the busy handler there): retry for
    as long as busy_timeout would have waited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOCKED_RETRY_SECONDS
    delay = 0.01
    while True:
        try:
            await conn.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() >= deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(0.25, delay * 2)


async def _connect(path: str) -> aiosqlite.Connection:
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from exc
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await _pragma(conn, pragma)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise StoreError(f"cannot use the database {path}: {exc} (is it a newsbot database?)") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def _close_all(conn: aiosqlite.Connection, others: Sequence[aiosqlite.Connection]) -> None:
    for c in (conn, *others):
        try:
            await c.close()
        except Exception:
            log.debug("closing a connection failed", exc_info=True)


class SQLiteStore(ClaimOps, PostSettingsOps, ArticleOps, DedupeOps, EntryFailureOps, FeedOps, OutboxOps):
    """aiosqlite on one file (WAL, foreign keys, FTS5); migrations applied by `open`."""

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, readers: int = READ_CONNECTIONS) -> SQLiteStore:
        """Open (creating if needed) the database, apply pending migrations in one transaction each."""
        path = str(path)
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot open the database {path}: {exc}") from exc
        conn = await _connect(path)
        opened: list[aiosqlite.Connection] = []
        try:
            version = await apply_migrations(
                conn, before=lambda cur, new: asyncio.to_thread(pre_migration_backup, path, cur, new))
            if path != ":memory:":
                for _ in range(readers):
                    opened.append(await _connect(path))
        except sqlite3.DatabaseError as exc:
            await _close_all(conn, opened)
            raise StoreError(f"cannot use the database {path}: {exc} (is it a newsbot database?)") from exc
        except BaseException:
            await _close_all(conn, opened)
            raise
        log.info("database %s open at schema version %s", path, version)
        return cls(conn, path, opened)

    async def close(self) -> None:
        if self._closed:
            return
        await self._close_connections()
