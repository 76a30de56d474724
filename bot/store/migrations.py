"""Numbered migration scripts, as both backends keep them: `NNNN_name.sql` files in a package, applied in
order. What applying means is each backend's own (bot/store/sqlite/migrate.py, bot/store/postgres/migrate.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from bot.store.errors import StoreError

_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_numbered(package: str) -> list[Migration]:
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
