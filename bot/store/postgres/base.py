"""The connection pool and the transaction helpers every PostgreSQL store module builds on.

Unlike the SQLite store there is no process-wide lock: each unit of work takes its own pooled
connection, reads never wait for writes (MVCC), and concurrent writers (other coroutines, other
processes) are serialized by row locks. Every driver error leaves as a StoreError.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def database_error(exc: BaseException) -> StoreError:
    return StoreError(f"database error: {exc}")


class PgBase:
    def __init__(self, pool: asyncpg.Pool, where: str) -> None:
        self._pool = pool
        self._where = where  # the URL without its password, for messages
        self._closed = False
        self._known_configs: set[str] = set()
        # Feeds seen with a filtered subscription: their articles' filters are decided before the write
        # (a hint only: the write checks again).
        self._filtered_feeds: set[int] = set()

    @property
    def path(self) -> str:
        return self._where

    def _check_open(self) -> asyncpg.Pool:
        if self._closed:
            raise StoreError("the store is closed")
        return self._pool

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection for reads (each statement sees committed data only)."""
        pool = self._check_open()
        try:
            async with pool.acquire() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise database_error(exc) from exc

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction: all of it commits, or (on any error or cancellation) none of it. A cancelled
        task's connection is reset by the pool before it is handed out again."""
        pool = self._check_open()
        try:
            async with pool.acquire() as conn, conn.transaction():
                yield conn
        except DRIVER_ERRORS as exc:
            raise database_error(exc) from exc
