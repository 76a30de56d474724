"""Notices through the real sink: a filter that timed out on a story reaches the guild's log channel."""

from __future__ import annotations

import sqlite3

import pytest

import bot.pipeline.filters as filters
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
