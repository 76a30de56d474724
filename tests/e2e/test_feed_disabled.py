"""A feed disabled after failures is announced to the guilds that follow it, through the real client."""

from __future__ import annotations

import dataclasses

from bot.config import FeedSettings
from bot.pipeline.ingest import Ingestor
from tests.e2e.conftest import GUILD, LOG, NEWS, OTHER_GUILD, OTHER_NEWS, World


async def test_disabled_feed_is_announced_in_log_channel_or_subscribed_channel(world: World) -> None:
    now = world.clock()
    feed = await world.store.add_feed(world.site.url("/hostile/403"), title="Blocked Daily", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    await world.store.subscribe(OTHER_GUILD, OTHER_NEWS, feed.id, now=now)
    await world.store.set_log_channel(GUILD, LOG)
    settings = dataclasses.replace(world.settings, feeds=FeedSettings(disable_after_failures=2, jitter=0))
    ingestor = Ingestor(settings, world.store, world.bot.fetcher, clock=world.clock,
                        on_feed_disabled=world.bot.sink.announce_feed_disabled)

    await ingestor.poll_feed(feed)  # first failure: backoff, no announcement
    assert world.fake.messages(LOG) == []
    current = await world.store.get_feed(feed.id)
    assert current is not None
    await ingestor.poll_feed(current)  # second failure: disabled and announced

    log_msg = await world.fake.wait_for_message(LOG, timeout=10)
    other_msg = await world.fake.wait_for_message(OTHER_NEWS, timeout=10)
    for msg in (log_msg, other_msg):
        assert "Blocked Daily" in msg["content"] and "403" in msg["content"]
        assert "/feed enable" in msg["content"]
        assert world.fake.allowed_mentions[int(msg["id"])] == {"parse": []}
    assert world.fake.messages(NEWS) == [], "a guild with a log channel is told there, not in the news channel"
    disabled = await world.store.get_feed(feed.id)
    assert disabled is not None and disabled.disabled and "403" in (disabled.disabled_reason or "")
