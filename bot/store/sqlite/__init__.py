"""The SQLite backend (aiosqlite, WAL, FTS5): the embedded default."""
