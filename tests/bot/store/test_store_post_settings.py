"""Contract: per-subscription post settings, pausing with catch-up, moving a subscription, channel webhooks
(migration 0005 on SQLite, 0002 on PostgreSQL), on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.models import ADMIN_PAUSE, PostSettings
from bot.store import Store, StoreError
from tests.bot.store.conftest import query
from tests.bot.store.test_store import T0, make_article


async def test_post_settings_and_webhooks(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", title="A", now=T0)
    sub = await store.subscribe(1, 10, feed.id, now=T0)
    assert await store.post_settings(sub.id) == PostSettings()
    changed = await store.set_post_settings(sub.id, look="compact", bullets=2, quotes=False, webhook=True,
                                            ping_role_id=(1 << 62) + 5, ping_keywords="storm, flood")
    assert changed == await store.post_settings(sub.id)
    assert (changed.look, changed.bullets, changed.quotes, changed.webhook) == ("compact", 2, False, True)
    assert changed.ping_role_id == (1 << 62) + 5 and changed.ping_keywords == "storm, flood"
    with pytest.raises(StoreError, match="unknown post settings"):
        await store.set_post_settings(sub.id, colourz=1)
    with pytest.raises(StoreError, match="does not exist"):
        await store.set_post_settings(999, look="text")
    context = await store.delivery_context(sub.id)
    assert context is not None and context[0] == sub and context[1].id == feed.id and context[2] == changed
    assert await store.delivery_context(999) is None

    assert await store.channel_webhook(10) is None
    await store.set_channel_webhook(10, (123, "tok"))
    await store.set_channel_webhook(10, (124, "tok2"))
    assert await store.channel_webhook(10) == (124, "tok2")
    await store.set_channel_webhook(10, None)
    assert await store.channel_webhook(10) is None
    assert await store.guild_feed_count(1) == 1 and await store.guild_feed_count(2) == 0


async def test_many_subscriptions_settings_in_one_read(store: Store) -> None:
    """What /feed list shows for each subscription, read at once: set ones as set, the rest the defaults,
    unknown ids the defaults too, and more ids than one statement binds."""
    feed = await store.add_feed("https://a/rss", title="A", now=T0)
    subs = [await store.subscribe(1, 10 + n, feed.id, now=T0) for n in range(3)]
    compact = await store.set_post_settings(subs[1].id, look="compact", ping_role_id=77)
    paused = await store.pause_subscription(subs[2].id, now=T0)
    got = await store.post_settings_many([s.id for s in subs] + [999])
    assert got == {subs[0].id: PostSettings(), subs[1].id: compact, subs[2].id: await store.post_settings(subs[2].id),
                   999: PostSettings()}
    assert got[subs[2].id].paused_at is not None and paused
    assert await store.post_settings_many([]) == {}
    many = await store.post_settings_many(range(1, 1201))
    assert len(many) == 1200 and many[subs[1].id] == compact


async def test_pause_resume_with_missed_stories_and_move(store: Store) -> None:
    feed = await store.add_feed("https://a/rss", now=T0)
    sub = await store.subscribe(1, 10, feed.id, now=T0, exclude="cats")
    first = await store.add_article(make_article(feed.id, 0), story_id=None, now=T0)
    assert first is not None and await store.next_delivery_story(sub.id) == first.story_id
    view = await store.story_view(1, first.story_id)
    assert view is not None and view.story_id == first.story_id and await store.story_view(2, 999) is None

    assert await store.pause_subscription(sub.id, now=T0 + timedelta(minutes=1))
    assert not await store.pause_subscription(sub.id, now=T0 + timedelta(minutes=1))  # already paused
    assert await store.next_delivery_story(sub.id) is None  # the pending one was cancelled
    paused = next(s for s, _ in await store.guild_subscriptions(1) if s.id == sub.id)
    assert paused.paused and paused.paused_reason == ADMIN_PAUSE
    missed = []
    for n in range(1, 5):
        title = "Cats rule" if n == 2 else f"Story {n}"
        stored = await store.add_article(make_article(feed.id, n, title=title), story_id=None,
                                         now=T0 + timedelta(minutes=1 + n))
        assert stored is not None and stored.deliveries == ()  # paused: nothing queued
        if n != 2:
            missed.append(stored.story_id)
    assert await store.resume_subscription_missed(sub.id, now=T0 + timedelta(hours=1), missed=2) == 2
    pending = [p.story.story_id for p in await store.pending_deliveries(T0 + timedelta(hours=1))]
    assert sorted(pending) == sorted(missed[-2:])  # the newest two that pass the filter
    assert (await store.post_settings(sub.id)).paused_at is None

    other = await store.add_feed("https://b/rss", now=T0)
    await store.subscribe(1, 20, other.id, now=T0)
    assert not await store.move_subscription(1, feed.id, 99, 20)  # no subscription in channel 99
    await store.subscribe(1, 30, feed.id, now=T0)
    with pytest.raises(StoreError, match="already follows"):
        await store.move_subscription(1, feed.id, 10, 30)
    assert await store.move_subscription(1, feed.id, 10, 20)
    moved = await store.pending_deliveries(T0 + timedelta(hours=1))
    assert sorted(p.channel_id for p in moved if p.subscription_id == sub.id) == [20, 20]
    cancelled = await query(store, "SELECT count(*) FROM deliveries WHERE channel_id = 10 AND status = 'pending'")
    assert cancelled == [(0,)]
