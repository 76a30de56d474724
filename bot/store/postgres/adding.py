"""Storing articles on PostgreSQL: `add_article(s)` in one round trip, `bulk_load` by COPY.

`add_articles` keeps the SQLite store's crash-safety contract: each article, its story, quotes, search
entry (a generated column), the seen guid and every delivery it causes commit in ONE transaction, here
one statement: the batch goes as jsonb to newsbot_add_articles (migration 0005), which runs the unit of
work inside the server. Two ingest processes storing the same URL at once are settled by the unique
canonical_url: the loser's insert does nothing and it is handled as the duplicate it is.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from bot.models import ArticleToStore, NewArticle, StoredArticle
from bot.store.common import (
    bullets_to_json,
    check_batch,
    feed_key,
    filter_text,
    normalize_name,
    quotes_to_json,
    surname,
)
from bot.store.filtering import Noticer, Verdicts, decide_batch, report_timeouts, timed_out
from bot.store.postgres import search as fts
from bot.store.postgres.base import PgBase
from bot.store.postgres.rows import clean_article, opt_ts, ts

log = logging.getLogger(__name__)

ADD_ARTICLES = "SELECT newsbot_add_articles($1::jsonb, $2, $3::jsonb)::text"
ARTICLE_COLUMNS = ["id", "story_id", "feed_id", "guid", "url", "canonical_url", "title", "text", "text_source",
                   "bullets", "quotes", "word_count", "reading_minutes", "reduction", "author", "published_at",
                   "site_name", "image_url", "language", "fingerprint", "created_at", "ts_config"]
QUOTE_COLUMNS = ["article_id", "position", "text", "speaker", "speaker_norm", "speaker_last"]


def quote_rows(article: NewArticle) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for q in article.quotes:
        norm = normalize_name(q.speaker)
        rows.append([q.text, q.speaker, norm, surname(norm)])
    return rows


def _oid_bytes(oid: int) -> bytes:
    return struct.pack("!I", oid)


def _oid_int(data: bytes) -> int:
    return int(struct.unpack("!I", data)[0])


class AddOps(PgBase):
    _available_configs: frozenset[str] = frozenset({fts.SIMPLE})

    async def add_article(self, article: NewArticle, *, story_id: int | None,
                          now: datetime) -> StoredArticle | None:
        """See `bot.store.Store.add_article`; the same contract as the SQLite store: a batch of one."""
        return (await self.add_articles([ArticleToStore(article, story_id)], now=now))[0]

    async def add_articles(self, batch: Sequence[ArticleToStore], *,
                           now: datetime) -> list[StoredArticle | None]:
        """See `bot.store.Store.add_articles`: one round trip when none of the batch's feeds has a filtered
        subscription. Otherwise filters are decided first, in a worker thread (bot/store/filtering.py), and
        one that runs out of time is reported to its guild as a notice."""
        check_batch(batch)
        if not batch:
            return []
        now = ts(now)
        articles = [clean_article(item.article) for item in batch]
        configs = [fts.config_for(a.language, self._available_configs) for a in articles]
        items = json.dumps([self._item(item, a, cfg) for item, a, cfg in zip(batch, articles, configs, strict=True)],
                           ensure_ascii=False)
        feeds = sorted({a.feed_id for a in articles})
        if not self._filtered_feeds.intersection(feeds):
            async with self._read() as conn:  # one statement: its own transaction
                done = await conn.fetchval(ADD_ARTICLES, items, now, None)
            if done is not None:
                self._known_configs.update(configs)
                return self._results(done)
            self._filtered_feeds.update(feeds)
        async with self._read() as conn:
            subs = await conn.fetch("SELECT id, feed_id, include, exclude FROM subscriptions "
                                    "WHERE feed_id = ANY($1::bigint[]) AND NOT paused ORDER BY id", feeds)
        verdicts = await decide_batch(subs, [(a.feed_id, filter_text(a.title, a.bullets)) for a in articles])
        decided = json.dumps([{str(sid): [inc, exc, v.passed] for sid, (inc, exc, v) in d.items()} for d in verdicts],
                             ensure_ascii=False)
        try:
            async with self._read() as conn:
                done = await conn.fetchval(ADD_ARTICLES, items, now, decided)
            self._known_configs.update(configs)
            return self._results(done)
        finally:
            await self._report_timeouts(articles, verdicts, now)

    def _item(self, item: ArticleToStore, a: NewArticle, config: str) -> dict[str, Any]:
        return {
            "story_id": item.story_id, "join": item.join, "feed_id": a.feed_id, "guid": a.guid, "url": a.url,
            "canonical_url": a.canonical_url, "feed_key": feed_key(a.canonical_url, a.feed_id), "title": a.title,
            "text": a.text, "text_source": a.text_source, "bullets": list(a.bullets),
            "quotes": [[q.text, q.speaker] for q in a.quotes], "quote_rows": quote_rows(a),
            "word_count": a.word_count, "reading_minutes": a.reading_minutes, "reduction": a.reduction,
            "author": a.author, "published_at": None if a.published_at is None else ts(a.published_at).isoformat(),
            "site_name": a.site_name, "image_url": a.image_url, "language": a.language,
            "fingerprint": None if a.fingerprint is None else a.fingerprint.hex(),
            "ts_config": config, "new_config": config not in self._known_configs,
        }

    @staticmethod
    def _results(done: str) -> list[StoredArticle | None]:
        return [None if r is None else StoredArticle(article_id=int(r["article"]), story_id=int(r["story"]),
                                                     new_story=bool(r["new"]),
                                                     deliveries=tuple(int(d) for d in r["deliveries"]))
                for r in json.loads(done)]

    async def _report_timeouts(self, articles: Sequence[NewArticle], verdicts: Sequence[Verdicts],
                               now: datetime) -> None:
        for article, decided in zip(articles, verdicts, strict=True):
            if slow := timed_out(decided):
                async with self._read() as conn:
                    rows = await conn.fetch("SELECT id, guild_id, channel_id FROM subscriptions "
                                            "WHERE id = ANY($1::bigint[])", slow)
                await report_timeouts(cast(Noticer, self), article, decided, rows, now)

    async def bulk_load(self, articles: Sequence[NewArticle], *, now: datetime) -> int:
        """Many articles as new single-article stories in one transaction, without deliveries (imports,
        benchmarks); duplicates by canonical_url are skipped. Returns how many were stored.

        Rows go in by COPY (ids handed out from the sequences first, so quotes can name their article).
        A concurrent writer storing one of these URLs between the check and the COPY fails the whole load
        (StoreError, nothing stored) rather than half of it.
        """
        now = ts(now)
        cleaned = [clean_article(a) for a in articles]
        fresh = {a.canonical_url: a for a in reversed(cleaned)}  # the first of a URL in the batch wins
        async with self._tx() as conn:
            for row in await conn.fetch("SELECT canonical_url FROM articles WHERE canonical_url = ANY($1::text[])",
                                        list(fresh)):
                del fresh[row[0]]
            todo = [a for a in cleaned if fresh.get(a.canonical_url) is a]
            if not todo:
                return 0
            configs = [fts.config_for(a.language, self._available_configs) for a in todo]
            if new := sorted(set(configs) - self._known_configs):
                await conn.execute("INSERT INTO search_configs (cfg) SELECT unnest($1::text[])::regconfig "
                                   "ON CONFLICT DO NOTHING", new)
            oids = dict(await conn.fetch("SELECT c, c::regconfig::oid FROM unnest($1::text[]) AS c",
                                         sorted(set(configs))))
            ids = await conn.fetch("SELECT nextval(pg_get_serial_sequence('stories', 'id')), "
                                   "nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, $1)",
                                   len(todo))
            await conn.copy_records_to_table("stories", columns=["id", "created_at"],
                                             records=[(story, now) for story, _ in ids])
            # asyncpg has no binary encoder for regconfig, whose binary form is its OID; for this COPY only
            await conn.set_type_codec("regconfig", schema="pg_catalog", format="binary", encoder=_oid_bytes,
                                      decoder=_oid_int)
            await conn.copy_records_to_table("articles", columns=ARTICLE_COLUMNS, records=[
                (article_id, story, a.feed_id, a.guid, a.url, a.canonical_url, a.title, a.text, a.text_source,
                 bullets_to_json(a.bullets), quotes_to_json(a.quotes), a.word_count, a.reading_minutes,
                 a.reduction, a.author, opt_ts(a.published_at), a.site_name, a.image_url, a.language,
                 a.fingerprint, now, oids[cfg])
                for (story, article_id), a, cfg in zip(ids, todo, configs, strict=True)])
            await conn.reset_type_codec("regconfig", schema="pg_catalog")
            quotes = [(article_id, i, *row) for (_, article_id), a in zip(ids, todo, strict=True)
                      for i, row in enumerate(quote_rows(a))]
            if quotes:
                await conn.copy_records_to_table("quotes", columns=QUOTE_COLUMNS, records=quotes)
            await conn.execute("INSERT INTO seen_entries (feed_id, guid, seen_at) "
                               "SELECT f, g, $3 FROM unnest($1::bigint[], $2::text[]) AS x (f, g) "
                               "ON CONFLICT DO NOTHING", [a.feed_id for a in todo], [a.guid for a in todo], now)
        self._known_configs.update(configs)
        return len(todo)
