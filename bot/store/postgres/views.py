"""StoryView assembly on PostgreSQL; the rules (first article, sources from the guild's own feeds only, no
view at all for a guild with no article of the story) are the SQLite store's, in bot/store/sqlite/views.py."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import asyncpg

from bot.models import PendingDelivery, StoryView
from bot.store.common import story_view
from bot.store.postgres.rows import Row, opt_utc

_VIEW_SQL = """
SELECT a.id, a.story_id, a.url, a.title, a.bullets::text AS bullets, a.quotes::text AS quotes, a.published_at,
       a.image_url, a.reading_minutes, a.reduction, a.author, a.text_source, a.site_name, f.title AS feed_title
FROM articles AS a
LEFT JOIN feeds AS f ON f.id = a.feed_id
WHERE a.story_id = ANY($1::bigint[]){scope}
ORDER BY a.story_id, a.id
"""
MAX_SCOPE_CHANNELS = 1000  # more channel ids than a guild can have (500): a longer list is cut, not trusted


def feed_scope(first: int, guild_id: int, channel_ids: Collection[int] | None) -> tuple[str, list[object]]:
    """A subquery for the feeds an audience may see, with its parameters numbered from ${first}: the guild's
    subscribed feeds, or with `channel_ids` only those posted to one of these channels (empty: none)."""
    if channel_ids is None:
        return f"SELECT feed_id FROM subscriptions WHERE guild_id = ${first}", [guild_id]
    ids = sorted(set(channel_ids))[:MAX_SCOPE_CHANNELS]
    return (f"SELECT feed_id FROM subscriptions WHERE guild_id = ${first} "
            f"AND channel_id = ANY(${first + 1}::bigint[])", [guild_id, ids])


async def load_views(conn: asyncpg.Connection, story_ids: Sequence[int], guild_id: int | None = None,
                     channel_ids: Collection[int] | None = None) -> dict[int, StoryView]:
    wanted = list(dict.fromkeys(story_ids))
    if not wanted:
        return {}
    return await _load(conn, wanted, guild_id, channel_ids)


async def _load(conn: asyncpg.Connection, wanted: list[int], guild_id: int | None,
                channel_ids: Collection[int] | None) -> dict[int, StoryView]:
    if guild_id is None:
        rows = await conn.fetch(_VIEW_SQL.format(scope=""), wanted)
    else:
        feeds, params = feed_scope(2, guild_id, channel_ids)
        rows = await conn.fetch(_VIEW_SQL.format(scope=f" AND a.feed_id IN ({feeds})"), wanted, *params)
    by_story: dict[int, list[Row]] = {}
    for row in rows:
        by_story.setdefault(row["story_id"], []).append(row)
    return {story_id: _view(story_id, articles) for story_id, articles in by_story.items()}


def _view(story_id: int, articles: list[Row]) -> StoryView:
    return story_view(story_id, articles, opt_utc(articles[0]["published_at"]))


async def with_views(conn: asyncpg.Connection, rows: Sequence[Row]) -> list[PendingDelivery]:
    """Outbox rows as PendingDelivery, each story viewed as its delivery's guild sees it."""
    views: dict[tuple[int, int], StoryView] = {}  # (guild, story): each guild sees its own feeds
    for gid in dict.fromkeys(int(r["guild_id"]) for r in rows):
        loaded = await load_views(conn, [r["story_id"] for r in rows if r["guild_id"] == gid], gid)
        views.update(((gid, sid), view) for sid, view in loaded.items())
    return [
        PendingDelivery(id=r["id"], guild_id=r["guild_id"], channel_id=r["channel_id"],
                        subscription_id=r["subscription_id"], story=views[(r["guild_id"], r["story_id"])],
                        attempts=r["attempts"])
        for r in rows if (r["guild_id"], r["story_id"]) in views
    ]


class Params:
    """Optional query parameters numbered after a statement's fixed ones."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.values: list[object] = []

    def add(self, value: object) -> str:
        self.values.append(value)
        return f"${self.first + len(self.values) - 1}"

    def channels(self, channel_ids: Collection[int] | None) -> str:
        """The condition narrowing a guild's subscriptions to those posted to `channel_ids` (if given)."""
        if channel_ids is None:
            return ""
        return f" AND channel_id = ANY({self.add(sorted(set(channel_ids))[:MAX_SCOPE_CHANNELS])}::bigint[])"
