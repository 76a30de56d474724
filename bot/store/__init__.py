"""The store: every read and write of newsbot's state goes through a `Store` (bot/store/interface.py).

The pipeline, the work units and the Discord cogs are written against that interface only; SQL stays
inside the backends: `sqlite/` (aiosqlite, the embedded default) and `postgres/` (asyncpg, for deployments
past one machine). `open_store(bot.database)` picks the backend: a `postgresql://` URL means PostgreSQL,
anything else is a SQLite file path. `transfer.py` copies a SQLite deployment into PostgreSQL.

Layout of each backend: `store.py` (the class, opening), `adding.py` (add_article(s), bulk_load),
`articles.py` (search, latest, quotes, digest stories, retention), `views.py` (StoryView assembly),
`migrate.py` + `migrations/` (numbered SQL files), `rows.py` (row <-> record); on SQLite the other units of
work are split out by subject (`feeds.py`, `outbox.py`, `claims.py`, ...). Shared, backend-neutral helpers
are in `common.py`.
"""

from __future__ import annotations

import os

from bot.store.errors import StoreError
from bot.store.interface import LeaseClaims, Store

__all__ = ["LeaseClaims", "Store", "StoreError", "is_postgres_url", "open_store"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(database: str | os.PathLike[str]) -> bool:
    return isinstance(database, str) and database.lower().startswith(POSTGRES_SCHEMES)


async def open_store(database: str | os.PathLike[str]) -> Store:
    """Open the configured database, applying pending migrations: a `postgresql://` (or `postgres://`) URL
    opens PostgreSQL, anything else is a SQLite file path (created if missing)."""
    if is_postgres_url(database):
        from bot.store.postgres.store import PostgresStore  # asyncpg is only loaded when used

        return await PostgresStore.open(str(database))
    from bot.store.sqlite.store import SQLiteStore

    return await SQLiteStore.open(database)
