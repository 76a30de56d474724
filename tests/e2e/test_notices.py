"""Notices through the real sink: a filter that timed out on a story reaches the guild's log channel."""

from __future__ import annotations

import sqlite3

import pytest

import bot.pipeline.filters as filters
from bot.discord.sink import DiscordSink
from bot.work.notices import send_notices
from tests.e2e.conftest import GUILD, LOG, NEWS, World


async def test_a_filter_that_timed_out_is_reported_in_the_log_channel(world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)  # stored before the probes refused it
    filters._compile.cache_clear()
    try:
        await world.store.set_log_channel(GUILD, LOG)
        feed = await world.store.add_feed("https://commas.example/rss", title="Commas", now=world.clock())
        await world.store.subscribe(GUILD, NEWS, feed.id, now=world.clock())
        db = sqlite3.connect(world.store.path)
        db.execute("UPDATE subscriptions SET include = '/(.*?,){10}P/'")
        db.commit()
        db.close()
        await world.add_story(feed.id, "Commas " + "," * 1500)
        assert await send_notices(world.store, world.bot.sink, now=world.clock()) == 1
        await world.fake.wait_for_message(LOG, timeout=10)
        [message] = world.fake.messages(LOG)
        assert "took too long" in message["content"] and f"<#{NEWS}>" in message["content"]
        assert world.fake.messages(NEWS) == []
    finally:
        filters._compile.cache_clear()


async def test_a_give_up_the_log_channel_could_not_hear_is_told_after_the_outage(world: World) -> None:
    """Every story given up is reported: when Discord is down at that moment too, the report waits as a
    notice, backs off, and is posted once when Discord is back."""
    await world.store.set_log_channel(GUILD, LOG)
    sink = DiscordSink(world.bot, interval=0, send_timeout=0.5)
    world.fake.fail_next("POST", f"/channels/{LOG}/messages", 503, times=100_000)
    await sink.report_given_up(GUILD, NEWS, "the story “Harbour bridge closes”", "Discord refused it")
    assert world.fake.messages(LOG) == []
    assert await send_notices(world.store, sink, now=world.clock()) == 1  # still down: put back
    assert await send_notices(world.store, sink, now=world.clock()) == 0  # backing off, not hammering
    assert world.fake.messages(LOG) == []

    world.fake._fail_rules.clear()  # Discord is back
    world.clock.advance(minutes=5)
    assert await send_notices(world.store, sink, now=world.clock()) == 1
    await world.fake.wait_for_message(LOG, timeout=10)
    [message] = world.fake.messages(LOG)
    assert "gave up posting" in message["content"] and "Harbour bridge closes" in message["content"]
    world.clock.advance(hours=2)
    assert await send_notices(world.store, sink, now=world.clock()) == 0  # posted once
    assert len(world.fake.messages(LOG)) == 1
