"""The connection, its lock and the transaction helper every store module builds on.

One aiosqlite connection serializes statements, but not transactions: two coroutines could interleave
statements inside each other's BEGIN ... COMMIT. Every store method therefore holds `_lock` for its whole
unit of work, and writes run in `_tx()` (BEGIN IMMEDIATE, so the write lock is taken up front and a
busy database is waited for by busy_timeout rather than failing halfway through).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


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
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._path = path
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def path(self) -> str:
        return self._path

    def _check_open(self) -> aiosqlite.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        return self._conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, for reads that must not see another coroutine's unfinished transaction."""
        async with self._lock:
            conn = self._check_open()
            try:
                yield conn
            except sqlite3.DatabaseError as exc:
                raise database_error(exc) from exc

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: all of it commits, or (on any error or cancellation) none of it.

        Cancellation is the subtle case: aiosqlite runs each statement in its worker thread, and cancelling
        the awaiting coroutine does not stop a statement already queued there. A BEGIN cancelled while it
        waits for another process's lock still opens the transaction later, and a failed COMMIT leaves it
        open; either way the next caller's BEGIN would fail (or its COMMIT would commit our half). So BEGIN
        and COMMIT are inside the `try`, and the rollback is unconditional: the worker runs queued calls in
        order, so it lands after whatever we abandoned, and it is a no-op when no transaction is open.
        """
        async with self._lock:
            conn = self._check_open()
            try:
                await execute(conn, "BEGIN IMMEDIATE")
                yield conn
                await conn.commit()
            except BaseException as exc:
                await _rollback(conn)
                if isinstance(exc, sqlite3.DatabaseError):
                    raise database_error(exc) from exc
                raise


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
