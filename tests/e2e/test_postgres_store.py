"""The whole bot on PostgreSQL: the real discord.py client against the fake Discord, commands and delivery
reading and writing the PostgreSQL store (bot.database = postgresql://...)."""

from __future__ import annotations

import pytest

from bot.discord.sink import DiscordSink
from bot.models import QuoteRecord
from bot.work.delivery import Delivered
from tests.e2e.conftest import GUILD, NEWS, OTHER_GUILD, OTHER_NEWS, World
from tests.e2e.test_commands import text_of

pytestmark = pytest.mark.postgres_store


async def test_commands_and_delivery_on_postgres(world: World) -> None:
    assert type(world.store).__name__ == "PostgresStore"
    now = world.clock()
    mine = await world.store.add_feed("https://mine.example/rss", title="Mine", now=now)
    theirs = await world.store.add_feed("https://theirs.example/rss", title="Theirs", now=now)
    await world.store.subscribe(GUILD, NEWS, mine.id, now=now)
    await world.store.subscribe(OTHER_GUILD, OTHER_NEWS, theirs.id, now=now)
    # add_story stores no language: such a story is indexed with the 'simple' configuration (exact words)
    await world.add_story(mine.id, "Local bridge opens", quote=QuoteRecord("We will build it", "Ana Silva"))
    await world.add_story(theirs.id, "Secret bridge elsewhere")

    found = text_of(await world.answer("search", {"query": "bridge"}))
    assert "Local bridge opens" in found and "Secret" not in found
    quoted = text_of(await world.answer("quotes", {"who": "Silva"}))
    assert "We will build it" in quoted
    latest = await world.answer("latest", {"count": 5})
    assert len(latest["embeds"][0]["fields"]) == 1

    sink = DiscordSink(world.bot, interval=0)
    pending = await world.store.pending_deliveries(world.clock())
    assert {p.channel_id for p in pending} == {NEWS, OTHER_NEWS}
    posted: dict[int, int] = {}
    for item in pending:
        result = await sink.deliver(item)
        assert isinstance(result, Delivered)
        await world.store.mark_delivered(item.id, result.message_id, now=world.clock())
        posted[result.message_id] = item.channel_id
    assert await world.store.pending_deliveries(world.clock()) == []
    titles = {channel: [m["embeds"][0]["title"] for m in world.fake.messages(channel) if int(m["id"]) in posted]
              for channel in (NEWS, OTHER_NEWS)}
    assert titles == {NEWS: ["Local bridge opens"], OTHER_NEWS: ["Secret bridge elsewhere"]}
