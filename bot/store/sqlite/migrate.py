"""Schema migrations: numbered SQL files from `bot.store.sqlite.migrations`, applied in order at open.

Each file runs in its own write transaction, and the version is read again INSIDE that transaction
(BEGIN IMMEDIATE holds SQLite's write lock): two processes opening a fresh database at once serialize
there, and the second finds the file already applied instead of running it again. A crash or an error in
file N leaves the database at version N-1 and the next start retries file N.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable

import aiosqlite

from bot.store.errors import StoreError
from bot.store.migrations import Migration, load_numbered

log = logging.getLogger(__name__)



def load_migrations(package: str = "bot.store.sqlite.migrations") -> list[Migration]:
    return load_numbered(package)


def statements(sql: str) -> list[str]:
    """A script split into complete statements (triggers' BEGIN ... END and quoted `;` kept whole).

    Needed because `executescript` commits any open transaction first, which would release the lock
    that makes the version check safe.
    """
    out: list[str] = []
    buf = ""
    for part in sql.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if _strip_comments(buf).strip(" \t\r\n;"):
                out.append(buf)
            buf = ""
    if _strip_comments(buf).strip(" \t\r\n;"):
        out.append(buf)
    return out


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def _too_new(current: int, latest: int) -> StoreError:
    return StoreError(
        f"the database is at schema version {current}, but this newsbot only knows up to {latest}; "
        "upgrade newsbot (or restore a backup made by this version)"
    )


async def apply_migrations(conn: aiosqlite.Connection, migrations: list[Migration] | None = None, *,
                           before: Callable[[int, int], Awaitable[object]] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version.

    A database written by a newer newsbot is refused rather than used: the old code would not know the
    newer tables' invariants and could quietly break them.
    """
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    current = await user_version(conn)
    if current > latest:
        raise _too_new(current, latest)
    if current == 0:
        before = None  # a database this call creates has nothing to back up
    for mig in migrations:
        if mig.version <= current:
            continue
        try:
            await conn.execute("BEGIN IMMEDIATE")
            current = await user_version(conn)  # another process may have applied it while we waited
            if current > latest:
                raise _too_new(current, latest)
            if mig.version <= current:
                await conn.rollback()
                continue
            if before is not None and current > 0:
                # Under the write lock, so one process backs up, once; readers (the backup) are not blocked.
                await before(current, latest)
                before = None
            log.info("applying migration %s", mig.name)
            for statement in statements(mig.sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {mig.version}")
            await conn.commit()
        except StoreError:
            await conn.rollback()
            raise
        except Exception as exc:
            await conn.rollback()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreError(f"migration {mig.name} failed: the database stayed locked ({exc})") from exc
            raise StoreError(f"migration {mig.name} failed: {exc}") from exc
        except BaseException:
            await conn.rollback()
            raise
        current = mig.version
    return current
