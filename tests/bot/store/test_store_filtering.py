"""Subscription filters on both backends: decided in a worker thread before the write transaction (never
on the event loop), and a filter that cannot decide a story reported to its guild as a notice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

import bot.pipeline.filters as filters
import bot.store.common as store_common
import bot.store.postgres.adding as pg_adding
import bot.store.sqlite.filtering as sqlite_filtering
from bot.store import Store
from bot.store.filtering import Verdicts, decide_batch
from tests.bot.store.conftest import backend, query
from tests.bot.store.test_store import T0, make_article

SLOW = "/(.*?,){10}P/"  # catastrophic on a long run of commas: the regex engine's time limit stops it


@pytest.fixture
def unchecked_filters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Filters stored before validation refused them (a slow regex reaches matching, where it times out)."""
    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)
    filters._compile.cache_clear()
    yield
    filters._compile.cache_clear()


async def pending_channels(store: Store) -> list[int]:
    return sorted(p.channel_id for p in await store.pending_deliveries(T0 + timedelta(days=1), limit=50))


async def test_a_filter_no_longer_accepted_is_reported_once_an_hour(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    for channel in (10, 11, 12):
        await store.subscribe(1, channel, feed.id, now=T0)
    # Stored before the rules tightened: nested quantifiers are refused now.
    await query(store, "UPDATE subscriptions SET include = '/(a+)+/' WHERE channel_id = 10")
    await query(store, "UPDATE subscriptions SET exclude = '/(b+)+/' WHERE channel_id = 11")
    stored = await store.add_article(make_article(feed.id, 1, title="Plain story"), story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 2
    assert await pending_channels(store) == [11, 12]  # an invalid include lets nothing in, an exclude nothing out
    notices = await store.take_notices(now=T0, limit=10)
    assert len(notices) == 2 and {n.guild_id for n in notices} == {1}
    texts = sorted(n.text for n in notices)
    assert "(a+)+" in texts[0] and "<#10>" in texts[0] and "was not posted there" in texts[0]
    assert "(b+)+" in texts[1] and "<#11>" in texts[1] and "posted anyway" in texts[1]
    assert all(filters.REFUSED in t and "Plain story" in t for t in texts)
    for notice in notices:
        await store.notice_sent(notice.id, now=T0)
    await store.add_article(make_article(feed.id, 2), story_id=None, now=T0 + timedelta(minutes=5))
    assert await store.take_notices(now=T0 + timedelta(minutes=5), limit=10) == []  # quiet for an hour
    await store.add_article(make_article(feed.id, 3), story_id=None, now=T0 + timedelta(hours=2))
    assert len(await store.take_notices(now=T0 + timedelta(hours=2), limit=10)) == 2


async def test_a_filter_that_times_out_is_reported_to_its_guild(store: Store, unchecked_filters: None) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    await store.subscribe(1, 10, feed.id, now=T0)
    await query(store, f"UPDATE subscriptions SET include = '{SLOW}' WHERE channel_id = 10")
    await store.subscribe(2, 20, feed.id, now=T0, include="commas")
    stored = await store.add_article(make_article(feed.id, 1, title="Commas " + "," * 1500), story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 1
    assert await pending_channels(store) == [20]
    [notice] = await store.take_notices(now=T0, limit=10)
    assert notice.guild_id == 1 and filters.TIMED_OUT in notice.text and "<#10>" in notice.text


async def test_filters_never_run_on_the_event_loop(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop: list[bool] = []
    real_check = filters.check

    def watched(include: str | None, exclude: str | None, text: str) -> filters.Verdict:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            on_loop.append(False)
        return real_check(include, exclude, text)

    monkeypatch.setattr(filters, "check", watched)
    feed = await store.add_feed("https://a/rss", now=T0)
    sub = await store.subscribe(1, 10, feed.id, now=T0, include="election")
    await store.subscribe(1, 11, feed.id, now=T0, exclude="/foot-?ball/")
    stored = await store.add_article(make_article(feed.id, 1, title="Election night"), story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 2
    after_add = len(on_loop)
    assert after_add == 2
    digest = await store.digest_stories(10, T0 - timedelta(hours=1), 5)
    assert [v.story_id for v in digest] == [stored.story_id]
    after_digest = len(on_loop)
    assert after_digest > after_add
    assert await store.pause_subscription(sub.id, now=T0 + timedelta(minutes=1))
    for n, title in ((2, "Election recount"), (3, "Weather")):
        await store.add_article(make_article(feed.id, n, title=title), story_id=None, now=T0 + timedelta(minutes=n))
    assert await store.resume_subscription_missed(sub.id, now=T0 + timedelta(hours=1), missed=5) == 1
    assert len(on_loop) > after_digest
    assert not any(on_loop)


async def test_a_subscription_refiltered_while_deciding_is_not_queued(store: Store,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    refiltered = await store.subscribe(1, 10, feed.id, now=T0, include="election")
    unfiltered = await store.subscribe(1, 11, feed.id, now=T0, include="nothing like it")
    await store.subscribe(1, 12, feed.id, now=T0, include="election")

    async def decide_then_change(subs: list[object], items: list[tuple[int, str]]) -> list[Verdicts]:
        verdicts = await decide_batch(subs, items)  # type: ignore[arg-type]
        await store.set_filters(refiltered.id, "night", None)  # would pass, but was not decided
        await store.set_filters(unfiltered.id, None, None)  # no filter: decided without a regex
        return verdicts

    module = pg_adding if backend(store) == "postgres" else sqlite_filtering
    monkeypatch.setattr(module, "decide_batch", decide_then_change)
    stored = await store.add_article(make_article(feed.id, 1, title="Election night"), story_id=None, now=T0)
    assert stored is not None and len(stored.deliveries) == 2
    assert await pending_channels(store) == [11, 12]


async def test_filters_are_validated_off_the_event_loop(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop: list[bool] = []
    real_validate = filters.validate_filter

    def watched(expr: str) -> str | None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            on_loop.append(False)
        return real_validate(expr)

    monkeypatch.setattr(store_common, "validate_filter", watched)  # both backends validate through it
    feed = await store.add_feed("https://a/rss", now=T0)
    sub = await store.subscribe(1, 10, feed.id, now=T0, include="election")
    await store.set_filters(sub.id, "vote", "/foot-?ball/")
    assert len(on_loop) == 3 and not any(on_loop)
