"""Full-text search on SQLite, as synchronous functions over one `sqlite3.Connection`.

The store runs `search` whole on a read connection's thread (`StoreBase._read_sync`): every statement of
one search, and the assembly of its StoryViews, in one thread hop and one snapshot.

What is ranked (the window): the newest RANK_WINDOW matching articles in the asker's scope (the guild's
feeds, or those posted to the channels the member can view, optionally one feed and a `since`). Within
the window the ranking is exact FTS5 BM25 (column weights in fts.BM25_WEIGHTS), best article per story.
A word in a quarter of all stories would otherwise rank hundreds of thousands of rows per search, and
the newest matches are what people look for; a rare word's matches are all in the window.

How it stays fast: one statement walks the matches newest first (FTS5 reads its doclists in rowid order,
no sort), checks each against the scope in a narrow index by article id (migration 0006: the newest
matches' entries share pages) and stops at the window's size; only rows in
scope have bm25 computed, and picking the best `limit` stories of at most RANK_WINDOW rows is a sort in
Python. `exhaustive_story_ids` computes the same window and ranking the plain way (the reference the
tests and bench/search.py compare against); `plain_top` is unscoped FTS5 top-k, the bench's baseline.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.models import StoryView
from bot.store.common import ordered
from bot.store.sqlite import fts
from bot.store.sqlite.rows import to_db
from bot.store.sqlite.views import feed_scope, load_views_sync

RANK_WINDOW = 300  # the newest this-many matches in scope are ranked (the window, see the module doc)

_WEIGHTS = ", ".join(str(w) for w in fts.BM25_WEIGHTS)
_WINDOW_SQL = """
SELECT f.rowid, bm25(articles_fts, {weights}) AS score, a.story_id
FROM articles_fts AS f CROSS JOIN articles AS a INDEXED BY articles_search_scope_idx ON a.id = f.rowid
WHERE articles_fts MATCH ? AND f.rowid >= ? AND {where}
ORDER BY f.rowid DESC LIMIT ?
"""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which articles a search may see, as SQL over `articles AS a` and its parameters."""
    where: str
    params: list[object]
    floor: int  # no article below this id can be in scope (from `since`); 0 when unbounded


def scope_for(db: sqlite3.Connection, guild_id: int, since: datetime | None, feed_id: int | None,
              channel_ids: Collection[int] | None) -> Scope | None:
    """The scope of one search, or None when nothing can be in it (nothing stored since `since`)."""
    feeds, params = feed_scope(guild_id, channel_ids)
    # `+`: a filter on the row the id found, not one index seek per feed of the guild for every match
    where = [f"+a.feed_id IN ({feeds})"]
    floor = 0
    if since is not None:
        where.append("a.created_at >= ?")
        params.append(to_db(since))
        # Exact whatever the clock did: every article stored since then has an id at least this one's.
        first = db.execute("SELECT min(id) FROM articles WHERE created_at >= ?", (to_db(since),)).fetchone()
        if first is None or first[0] is None:
            return None
        floor = int(first[0])
    if feed_id is not None:
        where.append("a.feed_id = ?")
        params.append(feed_id)
    return Scope(" AND ".join(where), params, floor)


def search(db: sqlite3.Connection, guild_id: int, query: str, since: datetime | None, feed_id: int | None,
           limit: int, channel_ids: Collection[int] | None) -> list[StoryView]:
    """FTS5 BM25 over title, bullets, quotes and text, within the window (module doc). `query` is user
    text: it is turned into a safe FTS expression (terms quoted), never passed raw. Empty or garbage
    query -> []. One row per story: its best article's score decides its place."""
    expr = fts.match_expression(query)
    if expr is None or limit <= 0:
        return []
    scope = scope_for(db, guild_id, since, feed_id, channel_ids)
    if scope is None:
        return []
    rows = db.execute(_WINDOW_SQL.format(weights=_WEIGHTS, where=scope.where),
                      [expr, scope.floor, *scope.params, RANK_WINDOW]).fetchall()
    rows.sort(key=lambda r: (r[1], -r[0]))  # best BM25 first (FTS5 scores are negative), newer on a tie
    ids = list(dict.fromkeys(int(r[2]) for r in rows))[:limit]
    return ordered(load_views_sync(db, ids, guild_id, channel_ids), ids)


def exhaustive_story_ids(db: sqlite3.Connection, guild_id: int, query: str, *, since: datetime | None = None,
                         feed_id: int | None = None, limit: int = 10, channel_ids: Collection[int] | None = None,
                         window: int | None = 0) -> list[int]:
    """The reference ranking, with no shortcut: every match in scope, the newest `window` of them (0: the
    search's RANK_WINDOW; None: all), ordered by FTS5 bm25 in SQL. The story ids `search` must return,
    for tests and the benchmark."""
    expr = fts.match_expression(query)
    if expr is None or limit <= 0:
        return []
    feeds, params = feed_scope(guild_id, channel_ids)
    where = [f"a.feed_id IN ({feeds})"]
    if since is not None:
        where.append("a.created_at >= ?")
        params.append(to_db(since))
    if feed_id is not None:
        where.append("a.feed_id = ?")
        params.append(feed_id)
    in_window = (f"SELECT a.id FROM articles AS a WHERE a.id IN (SELECT rowid FROM articles_fts "
                 f"WHERE articles_fts MATCH ?) AND {' AND '.join(where)} ORDER BY a.id DESC LIMIT ?")
    rows = db.execute(
        f"SELECT a.story_id FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH ? AND a.id IN ({in_window}) ORDER BY bm25(articles_fts, {_WEIGHTS}), a.id DESC",
        [expr, expr, *params, -1 if window is None else window or RANK_WINDOW]).fetchall()
    return list(dict.fromkeys(int(r[0]) for r in rows))[:limit]


def plain_top(db: sqlite3.Connection, query: str, k: int = 10,
              give_up_after: float | None = None) -> list[int] | None:
    """Plain FTS5 top-k by bm25 over the whole index (no scope, no window, no views): the bench's baseline.
    None when it ran past `give_up_after` seconds (ranking every match of a common word at 1M stories)."""
    expr = fts.match_expression(query)
    if expr is None:
        return []
    if give_up_after is not None:
        deadline = time.monotonic() + give_up_after
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        rows = db.execute(f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                          f"ORDER BY bm25(articles_fts, {_WEIGHTS}) LIMIT ?", (expr, k)).fetchall()
    except sqlite3.OperationalError:
        if give_up_after is None:
            raise
        return None
    finally:
        db.set_progress_handler(None, 0)
    return [int(r[0]) for r in rows]
