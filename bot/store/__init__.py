"""The store: every read and write of newsbot's state goes through `Store`.

The pipeline (bot/pipeline/ingest.py), the scheduler and the Discord cogs are written against `Store`'s methods
only; SQL stays inside this package, so a PostgreSQL backend can be added behind the same interface.
All datetimes in and out are timezone-aware UTC (a naive one raises ValueError).

Layout of `sqlite/`: `store.py` (the Store class: open, feeds, subscriptions, outbox, digests, settings),
`articles.py` (add_article, search, latest, quotes, digest stories, retention), `views.py` (StoryView
assembly), `fts.py` (safe MATCH expressions), `migrate.py` (numbered SQL files in sqlite/migrations),
`rows.py` (row <-> record conversions), `base.py` (connection, lock, transactions).
"""

from __future__ import annotations

from bot.store.errors import StoreError
from bot.store.sqlite.store import Store

__all__ = ["Store", "StoreError"]
