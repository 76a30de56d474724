"""Schema migrations: numbered SQL files from `bot.store.sqlite.migrations`, applied in order at open.

Each file runs in its own transaction (BEGIN IMMEDIATE ... PRAGMA user_version = N; COMMIT), so a crash or
an error in file N leaves the database at version N-1 and the next start retries file N.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str = "bot.store.sqlite.migrations") -> list[Migration]:
    """Every `NNNN_name.sql` in the package, by number; a gap or a duplicate number is a packaging bug."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise StoreError(f"migration files are not numbered 1..N without gaps: found {mig.name}")
    return found


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


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
        raise StoreError(
            f"the database is at schema version {current}, but this newsbot only knows up to {latest}; "
            "upgrade newsbot (or restore a backup made by this version)"
        )
    if before is not None and 0 < current < latest:
        await before(current, latest)  # e.g. a backup of the existing database
    for mig in migrations:
        if mig.version <= current:
            continue
        log.info("applying migration %s", mig.name)
        script = f"BEGIN IMMEDIATE;\n{mig.sql}\n;PRAGMA user_version = {mig.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise StoreError(f"migration {mig.name} failed: {exc}") from exc
        current = mig.version
    return current
