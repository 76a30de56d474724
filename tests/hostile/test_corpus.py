"""Every case of the hostile corpus through the real stack: loopback HTTP, the real Fetcher, parser and
extractor, and ingest into a real SQLite store. Refused cases must fail the poll with their reason (shown
in /feed list); stored cases must store the expected stories with the right fields."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import FeedSettings, NetSettings, Settings
from bot.fetch.net import Fetcher
from bot.models import Feed, PendingDelivery
from bot.pipeline.ingest import Ingestor
from bot.store import Store, open_store
from tests.hostile.corpus import CASES, STORY, Case, Refused, Stored
from tests.newsite import FeedItem, NewsSite

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class Outcome:
    pending: list[PendingDelivery]
    store: Store
    feed: Feed
    site: NewsSite


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    refused = sum(isinstance(c.expect, Refused) for c in CASES)
    assert refused >= 10 and len(CASES) - refused >= 20


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "hostile.db")
    yield s
    await s.close()


def settings() -> Settings:
    return Settings(
        net=NetSettings(allow_private_addresses=True, read_timeout=3.0, connect_timeout=2.0),
        feeds=FeedSettings(poll_interval=60, min_poll_interval=1, jitter=0, first_poll_queue=5,
                           min_article_chars=200),
    )


def serve(site: NewsSite, case: Case) -> str:
    base = site.url("").rstrip("/")
    if case.kind == "page":
        assert case.body is not None
        site.set_raw(f"/p/{case.name}", case.body(base), case.content_type)
        entry = FeedItem(guid=case.name, title="Flood barrier approved", link=site.url(f"/p/{case.name}"),
                         content=STORY, published=NOW)
        return site.set_feed(f"/f/{case.name}.xml", entries=[entry])
    if case.route == "/c/moved":
        assert case.body is not None
        site.set_raw("/c/new/feed.xml", case.body(base), case.content_type)
        return site.redirect("/c/moved", site.url("/c/new/feed.xml"))
    if case.route is not None:
        return site.url(case.route)
    assert case.body is not None
    return site.set_raw(f"/c/{case.name}", case.body(base), case.content_type)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_hostile_case(case: Case, site: NewsSite, store: Store) -> None:
    url = serve(site, case)
    feed = await store.add_feed(url, poll_interval=60, now=NOW)
    await store.subscribe(1, 100, feed.id, now=NOW)
    async with Fetcher(settings().net) as fetcher:
        result = await Ingestor(settings(), store, fetcher, clock=lambda: NOW).poll_feed(feed)
    if isinstance(case.expect, Refused):
        assert not result.ok, f"{case.name} was accepted"
        assert result.error and re.search(case.expect.reason, result.error), result.error
        stored = await store.get_feed(feed.id)
        assert stored is not None and stored.last_error, "the reason is kept for /feed list"
        return
    assert isinstance(case.expect, Stored)
    assert result.ok, result.error
    pending = await store.pending_deliveries(NOW, limit=100)
    assert result.new_articles == case.expect.count == len(pending), (result, [d.story.title for d in pending])
    if case.expect.check is not None:
        done: Any = case.expect.check(Outcome(pending, store, feed, site))
        if inspect.isawaitable(done):
            await done
    after = await store.get_feed(feed.id)
    assert after is not None and getattr(after, "failing_entries", 0) == 0, getattr(after, "entry_error", None)




def test_corpus_caps_match_the_code() -> None:
    from bot.fetch import fields
    from tests.hostile import corpus

    assert (corpus.MAX_TITLE_CHARS, corpus.MAX_AUTHOR_CHARS) == (fields.MAX_TITLE_CHARS, fields.MAX_AUTHOR_CHARS)
