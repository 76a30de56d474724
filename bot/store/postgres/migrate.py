"""Schema migrations: numbered SQL files from `bot.store.postgres.migrations`, applied in order at open.

Several processes may start at once against a fresh database (a deploy of three replicas). Each file
runs in its own transaction that first takes `pg_advisory_xact_lock`, then reads the version: the
second process waits for the first, sees the file applied and moves on, so the schema is created once.
"""

from __future__ import annotations

import logging

import asyncpg

from bot.store.errors import StoreError
from bot.store.migrations import Migration, load_numbered

log = logging.getLogger(__name__)

# pg_advisory_xact_lock's key: any constant other applications are unlikely to use ("newsbot" in ASCII).
MIGRATION_LOCK = 0x6E657773626F74

_VERSIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def load_migrations(package: str = "bot.store.postgres.migrations") -> list[Migration]:
    return load_numbered(package)


async def schema_version(conn: asyncpg.Connection) -> int:
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def apply_migrations(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version. A database written by a newer newsbot
    is refused rather than used: the old code would not know the newer tables' invariants."""
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute(_VERSIONS)
            current = await schema_version(conn)
            if current > latest:
                raise StoreError(
                    f"the database is at schema version {current}, but this newsbot only knows up to {latest}; "
                    "upgrade newsbot (or restore a backup made by this version)")
            pending = [m for m in migrations if m.version > current]
            if not pending:
                return current
            mig = pending[0]
            log.info("applying migration %s", mig.name)
            try:
                await conn.execute(mig.sql)
            except asyncpg.PostgresError as exc:
                raise StoreError(f"migration {mig.name} failed: {exc}") from exc
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               mig.version, mig.name)
