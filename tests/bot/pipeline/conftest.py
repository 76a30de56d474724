"""The loopback site, SQLite store, fetcher and settings fixtures of test_ingest, for the other pipeline tests."""

from tests.bot.pipeline.test_ingest import fetcher, settings, site, store

__all__ = ["fetcher", "settings", "site", "store"]
