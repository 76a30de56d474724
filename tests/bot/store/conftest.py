"""The contract: every test that takes the `store` fixture runs against both backends, SQLite (a file in
tmp_path) and PostgreSQL (a fresh database on the test server, tests/pg.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store, open_store
from bot.store.sqlite.base import all_rows

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What `bot.database` would say for this backend: a file path, or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "newsbot.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    s = await open_store(database)
    try:
        yield s
    finally:
        await s.close()


def backend(store: Store) -> str:
    return "postgres" if type(store).__name__ == "PostgresStore" else "sqlite"


async def query(store: Store, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a parameterless read-only SQL statement valid on both backends, for checking state that
    no store method reports (a delivery's status, a purged column)."""
    if backend(store) == "postgres":
        async with store._read() as conn:  # type: ignore[attr-defined]
            return [tuple(r) for r in await conn.fetch(sql)]
    # SQLite reads run in a snapshot that is rolled back: a statement that changes things needs the writer.
    run = store._read_sync if sql.lstrip().upper().startswith("SELECT") else store._write_sync  # type: ignore[attr-defined]
    return [tuple(r) for r in await run(all_rows, sql)]
