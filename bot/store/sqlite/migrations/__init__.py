"""Numbered SQL migrations (`NNNN_name.sql`), read as package data by `bot.store.sqlite.migrate`.

Each file runs in its own transaction that also sets `PRAGMA user_version` to its number, so a crash
mid-upgrade leaves the database at the previous version, never half-migrated.
"""
