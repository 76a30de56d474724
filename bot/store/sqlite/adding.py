"""Storing articles: `add_article(s)` and `bulk_load`, each one synchronous function on the write thread.

`add_articles` is the crash-safety backbone of ingest: each article, its story, quotes, FTS row, the
seen guid and every delivery it causes are written in ONE transaction, so a kill -9 at any point leaves
either all of the batch or none of it: never a stored article that no channel will receive, nor a
delivery for an article that is not there. The whole transaction is one call on the connection's thread
(`_write_sync`), not one event-loop round trip per statement.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.models import ArticleToStore, NewArticle, QuoteRecord, StoredArticle
from bot.pipeline.filters import Verdict
from bot.store.common import batch_story, check_batch, feed_key
from bot.store.filtering import Verdicts, should_queue
from bot.store.sqlite import fts
from bot.store.sqlite.base import chunks
from bot.store.sqlite.filtering import batch_verdicts, report_timeouts, subscribers
from bot.store.sqlite.notices import NoticeOps
from bot.store.sqlite.rows import (
    bullets_to_json,
    normalize_name,
    opt_to_db,
    quotes_to_json,
    source_name,
    surname,
    to_db,
)

log = logging.getLogger(__name__)
PASSED = Verdict(True)

INSERT_ARTICLE = """
INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, bullets, quotes,
                      word_count, reading_minutes, reduction, author, published_at, site_name, image_url,
                      language, fingerprint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_ARTICLE_WITH_ID = INSERT_ARTICLE.replace("(story_id,", "(id, story_id,", 1).replace("VALUES (", "VALUES (?, ", 1)
INSERT_QUOTE = """
INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last) VALUES (?, ?, ?, ?, ?, ?)
"""
INSERT_FTS = "INSERT INTO articles_fts (rowid, title, bullets, quotes, text) VALUES (?, ?, ?, ?, ?)"
INSERT_SEEN = "INSERT OR IGNORE INTO seen_entries (feed_id, guid, seen_at) VALUES (?, ?, ?)"
SUBSCRIBERS = ("SELECT id, guild_id, channel_id, include, exclude FROM subscriptions "
               "WHERE feed_id = ? AND paused = 0 ORDER BY id")
INSERT_DELIVERY = ("INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, story_id) DO NOTHING RETURNING id")


def article_params(article: NewArticle, story_id: int, now_s: str, key: str | None = None) -> tuple[object, ...]:
    return (
        story_id, article.feed_id, article.guid, article.url, key or article.canonical_url, article.title,
        article.text, article.text_source, bullets_to_json(article.bullets), quotes_to_json(article.quotes),
        article.word_count, article.reading_minutes, article.reduction, article.author,
        opt_to_db(article.published_at), article.site_name, article.image_url, article.language,
        article.fingerprint, now_s,
    )


def quote_params(article_id: int, quotes: Sequence[QuoteRecord]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for i, q in enumerate(quotes):
        norm = normalize_name(q.speaker)
        rows.append((article_id, i, q.text, q.speaker, norm, surname(norm)))
    return rows


# ---- the units of work, run on the write connection's thread inside BEGIN IMMEDIATE .. COMMIT


def store_unfiltered(db: sqlite3.Connection, batch: Sequence[ArticleToStore],
                     now_s: str) -> list[StoredArticle | None] | None:
    """The whole batch in this one unit when none of its feeds' subscriptions has a filter: then every
    verdict is "queue", read in the same transaction, and nothing else needs deciding. None (nothing
    written) when some subscription has a filter: it must be decided outside the transaction first."""
    subs = subscribers(db, sorted({item.article.feed_id for item in batch}))
    if any(sub["include"] or sub["exclude"] for sub in subs):
        return None
    by_feed: dict[int, Verdicts] = {}
    for sub in subs:
        by_feed.setdefault(sub["feed_id"], {})[sub["id"]] = (sub["include"], sub["exclude"], PASSED)
    return store_batch(db, batch, now_s, [by_feed.get(item.article.feed_id, {}) for item in batch])


def store_batch(db: sqlite3.Connection, batch: Sequence[ArticleToStore], now_s: str,
                verdicts: Sequence[Verdicts]) -> list[StoredArticle | None]:
    results: list[StoredArticle | None] = []
    for item, decided in zip(batch, verdicts, strict=True):
        results.append(store_one(db, item.article, batch_story(item, results), now_s, decided))
    return results


def store_one(db: sqlite3.Connection, article: NewArticle, story_id: int | None, now_s: str,
              verdicts: Verdicts) -> StoredArticle | None:
    """One article and everything that follows from it (see `AddOps.add_article`)."""
    if db.execute("SELECT 1 FROM feeds WHERE id = ?", (article.feed_id,)).fetchone() is None:
        log.info("feed %s is gone; article %s not stored", article.feed_id, article.canonical_url)
        return None
    db.execute(INSERT_SEEN, (article.feed_id, article.guid, now_s))
    key = article.canonical_url
    own_key = feed_key(key, article.feed_id)
    rows = db.execute("SELECT id, story_id, feed_id, canonical_url FROM articles WHERE canonical_url IN (?, ?)",
                      (key, own_key)).fetchall()
    mine = next((r for r in rows if r["feed_id"] == article.feed_id), None)
    if mine is not None:
        queued = enqueue(db, article.feed_id, mine["story_id"], verdicts, now_s)
        log.debug("duplicate %s (article %s); %s channels newly queued", key, mine["id"], len(queued))
        return None
    # Another feed (maybe another server's) holds this URL: this feed still gets its own copy, built from
    # its own entry, joined to the same story so a channel following both gets it once.
    other = next((r for r in rows if r["canonical_url"] == key), None)
    if other is not None:
        key = own_key
        story_id = other["story_id"]
        db.execute("UPDATE articles SET canonical_url = canonical_url || '#orphan=' || id "
                   "WHERE canonical_url = ? AND feed_id IS NULL", (own_key,))
    new_story = story_id is None or db.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None
    if new_story:
        story_id = db.execute("INSERT INTO stories (created_at) VALUES (?)", (now_s,)).lastrowid
    assert story_id is not None
    article_id = insert_article(db, article, story_id, now_s, key)
    if not new_story:
        update_source_count(db, story_id)
    deliveries = enqueue(db, article.feed_id, story_id, verdicts, now_s)
    return StoredArticle(article_id=article_id, story_id=story_id, new_story=new_story, deliveries=tuple(deliveries))


def insert_article(db: sqlite3.Connection, article: NewArticle, story_id: int, now_s: str,
                   key: str | None = None) -> int:
    """The article row, its quotes and its search-index row; returns the article id."""
    article_id = db.execute(INSERT_ARTICLE, article_params(article, story_id, now_s, key)).lastrowid
    assert article_id is not None
    if article.quotes:
        db.executemany(INSERT_QUOTE, quote_params(article_id, article.quotes))
    db.execute(INSERT_FTS, (article_id, *fts.fts_values(article.title, article.bullets, article.quotes, article.text)))
    return article_id


def enqueue(db: sqlite3.Connection, feed_id: int, story_id: int, verdicts: Verdicts, now_s: str) -> list[int]:
    """Queue the story for the feed's unpaused subscriptions whose filters passed (decided before the
    transaction, see `should_queue`); returns the new delivery ids."""
    ids: list[int] = []
    for sub in db.execute(SUBSCRIBERS, (feed_id,)).fetchall():
        if not should_queue(verdicts, sub, story_id):
            continue
        row = db.execute(INSERT_DELIVERY, (sub["guild_id"], sub["channel_id"], sub["id"], story_id, now_s,
                                           now_s)).fetchone()
        if row is not None:
            ids.append(int(row[0]))
    return ids


def update_source_count(db: sqlite3.Connection, story_id: int) -> None:
    rows = db.execute("SELECT f.title AS feed_title, a.site_name, a.url FROM articles AS a "
                      "LEFT JOIN feeds AS f ON f.id = a.feed_id WHERE a.story_id = ?", (story_id,)).fetchall()
    names = {source_name(r["feed_title"], r["site_name"], r["url"]) for r in rows}
    db.execute("UPDATE stories SET source_count = ? WHERE id = ?", (len(names), story_id))


def bulk_insert(db: sqlite3.Connection, articles: Sequence[NewArticle], now_s: str) -> int:
    """New single-article stories, no deliveries: each table filled by one executemany. The write lock is
    held (BEGIN IMMEDIATE), so the ids after the current largest are ours to hand out."""
    fresh = {a.canonical_url: a for a in reversed(articles)}  # the first of a URL in the batch wins
    for chunk in chunks(list(fresh), 500):
        marks = ",".join("?" * len(chunk))
        for (url,) in db.execute(f"SELECT canonical_url FROM articles WHERE canonical_url IN ({marks})", chunk):
            del fresh[url]
    todo = [a for a in articles if fresh.get(a.canonical_url) is a]
    if not todo:
        return 0
    story0 = int(db.execute("SELECT coalesce(max(id), 0) FROM stories").fetchone()[0]) + 1
    article0 = int(db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]) + 1
    db.executemany("INSERT INTO stories (id, created_at) VALUES (?, ?)",
                   [(story0 + i, now_s) for i in range(len(todo))])
    db.executemany(INSERT_ARTICLE_WITH_ID,
                   [(article0 + i, *article_params(a, story0 + i, now_s)) for i, a in enumerate(todo)])
    db.executemany(INSERT_QUOTE, [row for i, a in enumerate(todo) if a.quotes
                                  for row in quote_params(article0 + i, a.quotes)])
    db.executemany(INSERT_FTS, [(article0 + i, *fts.fts_values(a.title, a.bullets, a.quotes, a.text))
                                for i, a in enumerate(todo)])
    db.executemany(INSERT_SEEN, [(a.feed_id, a.guid, now_s) for a in todo])
    return len(todo)


class AddOps(NoticeOps):
    async def add_article(self, article: NewArticle, *, story_id: int | None,
                          now: datetime) -> StoredArticle | None:
        """Store an article, in ONE transaction with everything that follows from it:

        - the article row, unique per (feed, canonical_url): when this feed already stored the URL, the
          call returns None, marks the guid seen and queues that story for the feed's channels that lack
          it. When another feed stored the URL first, this feed's own article is stored too (under
          `feed_key`) and joins that story: a server's view is built only from its own feeds' entries,
        - a new story when `story_id` is None (or names a story that no longer exists), else the article
          joins that story (cluster),
        - its quotes (searchable by speaker), its FTS row (title, bullets, quotes, text),
        - the guid marked seen for its feed,
        - a pending delivery for every unpaused subscription of article.feed_id whose include/exclude
          filter matches (bot.pipeline.filters), unique per (channel_id, story_id) so a channel never gets one
          story twice, even from two feeds or two outlets of the same cluster.

        Filters are user-supplied regexes: they are evaluated BEFORE the write transaction, in a worker
        thread, so neither the event loop nor other writers wait for them. A filter that runs out of time
        is reported to its guild (a notice for the log channel) instead of dropping the story silently.

        Returns None too when the feed was deleted while the article was being fetched.
        """
        return (await self.add_articles([ArticleToStore(article, story_id)], now=now))[0]

    async def add_articles(self, batch: Sequence[ArticleToStore], *,
                           now: datetime) -> list[StoredArticle | None]:
        """`add_article` for each item in order, in ONE transaction (see `bot.store.Store.add_articles`)."""
        check_batch(batch)
        if not batch:
            return []
        now_s = to_db(now)
        if not self._filtered_feeds.intersection(item.article.feed_id for item in batch):
            stored = await self._write_sync(store_unfiltered, batch, now_s)
            if stored is not None:
                return stored
            self._filtered_feeds.update(item.article.feed_id for item in batch)
        verdicts = await batch_verdicts(self, [item.article for item in batch])
        try:
            return await self._write_sync(store_batch, batch, now_s, verdicts)
        finally:
            for item, decided in zip(batch, verdicts, strict=True):
                await report_timeouts(self, item.article, decided, now)

    async def bulk_load(self, articles: Sequence[NewArticle], *, now: datetime) -> int:
        """Store many articles as new single-article stories in one transaction, without deliveries.

        For imports and benchmarks, where per-article transactions would dominate the run time; duplicates
        (by canonical_url) are skipped. Returns how many were stored.
        """
        return await self._write_sync(bulk_insert, articles, to_db(now))
