"""Copy a SQLite deployment into PostgreSQL (`newsbot migrate-db`), for a community that outgrows the
embedded default.

Everything is copied in ONE PostgreSQL transaction with COPY (asyncpg's copy_records_to_table), then
verified by row counts per table: a copy that does not match rolls back entirely, so the target is
either a complete copy or untouched. Ids are kept (deliveries refer to stories, subscriptions to feeds),
and the identity sequences continue after them. The target must be empty (a fresh database).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store.errors import StoreError
from bot.store.postgres.search import SIMPLE, config_for
from bot.store.postgres.store import PostgresStore
from bot.store.sqlite.rows import from_db
from bot.store.sqlite.store import SQLiteStore

log = logging.getLogger(__name__)

# Parents before children, so every foreign key already has its row.
TABLES = ("feeds", "subscriptions", "seen_entries", "stories", "articles", "quotes", "deliveries",
          "delivery_lanes", "digests", "guild_settings", "meta", "notices", "subscription_settings",
          "channel_webhooks", "entry_failures")
BATCH = 5_000


@dataclass(frozen=True, slots=True)
class TransferReport:
    counts: dict[str, int]  # rows per table, equal on both sides
    skipped_columns: tuple[str, ...] = ()  # "table.column" in SQLite that PostgreSQL has no column for


def _converter(data_type: str) -> Callable[[Any], Any]:
    def opt(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda v: None if v is None else fn(v)

    if data_type == "timestamp with time zone":
        return opt(from_db)
    if data_type == "boolean":
        return opt(bool)
    if data_type in ("text", "jsonb"):  # PostgreSQL text holds no NUL, jsonb no escaped one
        return opt(lambda v: str(v).replace("\x00", "").replace("\\u0000", ""))
    if data_type == "bytea":
        return opt(bytes)
    return lambda v: v


async def copy_sqlite_to_postgres(source: str | os.PathLike[str], target_url: str) -> TransferReport:
    """Copy every table of the SQLite database at `source` into the empty PostgreSQL database at
    `target_url` (both brought to the current schema first); raises StoreError when it cannot."""
    if not await asyncio.to_thread(Path(source).is_file):
        raise StoreError(f"no SQLite database at {source}")
    lite = await SQLiteStore.open(source)
    try:
        pg = await PostgresStore.open(target_url)
        try:
            return await _copy(lite, pg)
        finally:
            await pg.close()
    finally:
        await lite.close()


async def _copy(lite: SQLiteStore, pg: PostgresStore) -> TransferReport:
    counts: dict[str, int] = {}
    skipped: list[str] = []
    async with pg._tx() as conn, lite._read() as src:
        for table in TABLES:
            if await conn.fetchval(f"SELECT exists(SELECT 1 FROM {table})"):
                raise StoreError(f"the PostgreSQL database already has {table}: migrate-db only fills an empty one")
        for table in TABLES:
            async with src.execute(f"PRAGMA table_info({table})") as cur:
                lite_columns = [r[1] for r in await cur.fetchall()]
            if not lite_columns:  # a table this SQLite database does not have (yet): nothing to copy
                counts[table] = 0
                continue
            types = {r[0]: r[1] for r in await conn.fetch(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = $1 AND is_generated = 'NEVER' AND column_name <> 'ts_config'", table)}
            columns = [c for c in lite_columns if c in types]
            skipped += [f"{table}.{c}" for c in lite_columns if c not in types]
            convert = [_converter(types[c]) for c in columns]
            copied = 0
            async with src.execute(f"SELECT {', '.join(columns)} FROM {table}") as cur:
                while rows := await cur.fetchmany(BATCH):
                    records = [tuple(fn(v) for fn, v in zip(convert, row, strict=True)) for row in rows]
                    await conn.copy_records_to_table(table, records=records, columns=columns)
                    copied += len(records)
            async with src.execute(f"SELECT count(*) FROM {table}") as cur:
                expected = (await cur.fetchone())[0]  # type: ignore[index]
            in_target = await conn.fetchval(f"SELECT count(*) FROM {table}")
            if not expected == copied == in_target:
                raise StoreError(f"{table}: {expected} rows in SQLite, {in_target} in PostgreSQL; nothing was kept")
            counts[table] = in_target
            if "id" in columns and in_target:
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
            log.info("copied %s rows of %s", in_target, table)
        await _index_languages(conn, pg, [r[0] for r in await conn.fetch("SELECT DISTINCT language FROM articles")])
    if skipped:
        log.warning("columns with no PostgreSQL counterpart were not copied: %s", ", ".join(skipped))
    return TransferReport(counts=counts, skipped_columns=tuple(skipped))


async def _index_languages(conn: Any, pg: PostgresStore, languages: Iterable[str | None]) -> None:
    """Articles were copied with the 'simple' configuration; give each its language's (the generated
    search column is recomputed by PostgreSQL)."""
    for language in languages:
        config = config_for(language, pg._available_configs)
        if config == SIMPLE or language is None:
            continue
        await conn.execute("INSERT INTO search_configs (cfg) VALUES ($1::regconfig) ON CONFLICT DO NOTHING", config)
        await conn.execute("UPDATE articles SET ts_config = $1::regconfig WHERE language = $2", config, language)
