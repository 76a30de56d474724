"""Connections, locks and the transaction helpers every store module builds on.

Two kinds of connection to one WAL file, so reads never wait for writes:

- one write connection, behind `_write_lock`: every write is one unit of work, a synchronous function run
  whole on the connection's thread inside BEGIN IMMEDIATE ... COMMIT (`_write_sync`): one thread hop per
  unit, not one per statement. IMMEDIATE takes SQLite's write lock up front, so another process's writer
  is waited for by busy_timeout, not failed halfway;
- a few read connections in a pool (`_read_sync`): each read runs in its own deferred transaction, one
  consistent snapshot for all its statements, and WAL lets it proceed while a write transaction is open.
  (`_read`, the same snapshot held across awaits, is left for search and the one-off transfer to
  PostgreSQL, which stream rows between other awaits.)

An in-memory database has no file to share, so there the write connection serves reads too.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiosqlite

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


async def on_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(sqlite3_connection, *args)` on the connection's own thread: a whole unit of work in one hop
    instead of one hop per statement. aiosqlite's FIFO queue (`_execute`) is the only way onto that thread,
    which is why pyproject pins aiosqlite to a range with this API; tests/bot/store guard it."""
    return await conn._execute(fn, conn._conn, *args)


def _write_unit(db: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    """BEGIN IMMEDIATE .. COMMIT around `fn`, all on the database thread: nothing can run in between, and
    a cancelled caller cannot leave the transaction half done (the thread finishes it either way)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db, *args)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return result


def _read_unit(db: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    """One snapshot for every statement of `fn` (a deferred transaction), ended before the thread is free."""
    db.execute("BEGIN")
    try:
        return fn(db, *args)
    finally:
        db.execute("ROLLBACK")


async def fetchall(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def fetchone(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def execute(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run one statement; returns the number of rows it changed."""
    async with conn.execute(sql, params) as cur:
        return cur.rowcount


def one_row(db: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    """A one-statement unit for `_read_sync`/`_write_sync`: its first row."""
    return db.execute(sql, params).fetchone()


def all_rows(db: sqlite3.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    """A one-statement unit for `_read_sync`/`_write_sync`: every row."""
    return db.execute(sql, params).fetchall()


def changes(db: sqlite3.Connection, sql: str, params: Params = ()) -> int:
    """A one-statement unit for `_write_sync`: how many rows it changed."""
    return db.execute(sql, params).rowcount


def chunks(items: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    """Batches small enough for SQLite's bound-parameter limit."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class StoreBase:
    def __init__(self, conn: aiosqlite.Connection, path: str,
                 readers: Sequence[aiosqlite.Connection] = ()) -> None:
        self._conn = conn
        self._path = path
        self._write_lock = asyncio.Lock()
        self._readers = list(readers)
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in self._readers:
            self._idle.put_nowait(reader)
        self._closed = False
        # Feeds seen with a filtered subscription: their articles' filters are decided before the write
        # transaction (a hint only: the write checks again).
        self._filtered_feeds: set[int] = set()

    @property
    def path(self) -> str:
        return self._path

    def _check_open(self) -> aiosqlite.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        return self._conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read connection holding one snapshot for the block; never waits for a write transaction."""
        self._check_open()
        if not self._readers:  # in-memory: the write connection is the only one
            async with self._write_lock:
                try:
                    yield self._check_open()
                except sqlite3.DatabaseError as exc:
                    raise database_error(exc) from exc
            return
        conn = await self._idle.get()
        try:
            self._check_open()
            await execute(conn, "BEGIN")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise database_error(exc) from exc
        finally:
            # Ends the snapshot; queued after anything a cancelled reader left in the worker, and a no-op
            # when no transaction is open. The ROLLBACK is on the connection's queue before the first
            # suspension, so the connection goes back to the pool even if this task is cancelled here.
            try:
                await _rollback(conn)
            finally:
                self._idle.put_nowait(conn)

    async def _write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """One write transaction as one synchronous function on the write connection's thread."""
        async with self._write_lock:
            conn = self._check_open()
            try:
                return await on_thread(conn, _write_unit, fn, *args)
            except sqlite3.DatabaseError as exc:
                raise database_error(exc) from exc

    async def _read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """One read (one snapshot) as one synchronous function on a read connection's thread."""
        self._check_open()
        if not self._readers:  # in-memory: the write connection is the only one
            async with self._write_lock:
                try:
                    return await on_thread(self._check_open(), _read_unit, fn, *args)
                except sqlite3.DatabaseError as exc:
                    raise database_error(exc) from exc
        conn = await self._idle.get()
        try:
            self._check_open()
            return await on_thread(conn, _read_unit, fn, *args)
        except sqlite3.DatabaseError as exc:
            raise database_error(exc) from exc
        finally:
            # The connection's queue is FIFO: even if this task was cancelled, the unit above finishes
            # (and ends its snapshot) before the next borrower's work starts.
            self._idle.put_nowait(conn)

    async def _close_connections(self) -> None:
        """Wait for running reads and the running write, then close every connection."""
        async with self._write_lock:
            self._closed = True
            held = [await self._idle.get() for _ in self._readers]
            for reader in held:
                await reader.close()
            try:
                await self._conn.execute("PRAGMA optimize")
            except Exception:  # best effort: never keep a shutdown from completing
                log.debug("PRAGMA optimize failed", exc_info=True)
            await self._conn.close()


def database_error(exc: sqlite3.DatabaseError) -> StoreError:
    """No sqlite3 type leaves the store: callers (the CLI, the bot) handle StoreError for every backend."""
    return StoreError(f"database error: {exc}")


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Queue a ROLLBACK. `conn.rollback()` puts it on aiosqlite's FIFO queue before its first suspension, so
    even if this task is cancelled again while waiting, the ROLLBACK runs before any statement of the next
    lock holder."""
    try:
        await conn.rollback()
    except Exception:  # the original error matters more than a failed rollback
        log.exception("rollback failed")
