"""Numbered PostgreSQL migrations (`NNNN_name.sql`), read as package data by `bot.store.postgres.migrate`.

Each file runs in its own transaction under a transaction-scoped advisory lock, with its row in
`schema_migrations`, so concurrent starts apply it once and a failed file leaves the previous version.
"""
