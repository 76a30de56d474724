"""StoryView assembly: a story as renderers and commands see it, built from its articles in one query.

A story's view is its first (earliest stored) article; the cluster's other articles only contribute their
source names, so a story keeps the same title and link however many outlets join it later.

Clusters are global (two guilds' feeds may carry the same wire story), so every view shown to a guild is
built from the articles of that guild's own feeds (`guild_id`): another guild's feed title, link, bullets
and quotes never leak into it, and a story with no article from the guild's feeds has no view for that
guild at all (never a fallback to another server's article: that feed's author chose its title).

Within a guild, a member sees only what is posted to channels they can view: with `channel_ids`, the
scope is the feeds posted to those channels only (`feed_scope`), so a feed kept for a private staff channel
lends nothing to what other members see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence

import aiosqlite

from bot.models import StoryView
from bot.store.common import story_view
from bot.store.sqlite.rows import opt_from_db

_CHUNK = 500

_VIEW_SQL = """
SELECT a.id, a.story_id, a.url, a.title, a.bullets, a.quotes, a.published_at, a.image_url,
       a.reading_minutes, a.reduction, a.author, a.text_source, a.site_name, f.title AS feed_title
FROM articles AS a
LEFT JOIN feeds AS f ON f.id = a.feed_id
WHERE a.story_id IN ({marks}){scope}
ORDER BY a.story_id, a.id
"""
MAX_SCOPE_CHANNELS = 1000
"""More channel ids than a guild can have (500); a longer list is cut rather than trusted."""


def feed_scope(guild_id: int, channel_ids: Collection[int] | None = None) -> tuple[str, list[object]]:
    """A subquery for the feeds an audience may see, and its parameters: the guild's subscribed feeds, or
    with `channel_ids` only those posted to one of these channels (an empty set sees none)."""
    if channel_ids is None:
        return "SELECT feed_id FROM subscriptions WHERE guild_id = ?", [guild_id]
    ids = sorted(set(channel_ids))[:MAX_SCOPE_CHANNELS]
    marks = ",".join("?" * len(ids)) or "NULL"
    return (f"SELECT feed_id FROM subscriptions WHERE guild_id = ? AND channel_id IN ({marks})",
            [guild_id, *ids])


async def load_views(conn: aiosqlite.Connection, story_ids: Sequence[int], guild_id: int | None = None,
                     channel_ids: Collection[int] | None = None) -> dict[int, StoryView]:
    """Views for the given stories (missing ids are simply absent), without reading any article text;
    with `guild_id` (and `channel_ids`), built from the articles of the feeds in that scope (see the
    module doc)."""
    return await _load(conn, list(dict.fromkeys(story_ids)), guild_id, channel_ids)


async def _load(conn: aiosqlite.Connection, wanted: list[int], guild_id: int | None,
                channel_ids: Collection[int] | None) -> dict[int, StoryView]:
    views: dict[int, StoryView] = {}
    for start in range(0, len(wanted), _CHUNK):
        sql, params = _view_query(wanted[start:start + _CHUNK], guild_id, channel_ids)
        async with conn.execute(sql, params) as cur:
            _add_views(views, list(await cur.fetchall()))
    return views


def load_views_sync(db: sqlite3.Connection, story_ids: Sequence[int], guild_id: int | None = None,
                    channel_ids: Collection[int] | None = None) -> dict[int, StoryView]:
    """`load_views` on the connection's own thread, for a read that runs whole as one function there."""
    wanted = list(dict.fromkeys(story_ids))
    views: dict[int, StoryView] = {}
    for start in range(0, len(wanted), _CHUNK):
        sql, params = _view_query(wanted[start:start + _CHUNK], guild_id, channel_ids)
        _add_views(views, db.execute(sql, params).fetchall())
    return views


def _view_query(chunk: list[int], guild_id: int | None,
                channel_ids: Collection[int] | None) -> tuple[str, list[object]]:
    params: list[object] = list(chunk)
    scope = ""
    if guild_id is not None:
        feeds, scope_params = feed_scope(guild_id, channel_ids)
        scope = f" AND a.feed_id IN ({feeds})"
        params += scope_params
    return _VIEW_SQL.format(marks=",".join("?" * len(chunk)), scope=scope), params


def _add_views(views: dict[int, StoryView], rows: Sequence[sqlite3.Row]) -> None:
    by_story: dict[int, list[sqlite3.Row]] = {}
    for row in rows:
        by_story.setdefault(row["story_id"], []).append(row)
    for story_id, articles in by_story.items():
        views[story_id] = _view(story_id, articles)


def _view(story_id: int, articles: list[sqlite3.Row]) -> StoryView:
    return story_view(story_id, articles, opt_from_db(articles[0]["published_at"]))
