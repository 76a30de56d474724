"""Issue 9 item 1 through the whole stack: a feed added by one server cannot make another server's
channel post its title over the other server's story (loopback sites, real SQLite, fake Discord)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.discord.sink import DiscordSink
from bot.fetch.net import Fetcher
from bot.pipeline.ingest import Ingestor
from bot.work.delivery import Delivered
from tests.bot.pipeline.test_ingest import story_text
from tests.e2e.conftest import GUILD, NEWS, OTHER_GUILD, OTHER_NEWS, World
from tests.newsite import FeedItem, NewsSite

REAL = "Battery factory brings jobs to Elmsworth1"
FAKE = "FAKE planted headline"


async def test_planted_title_never_reaches_another_servers_channel(world: World) -> None:
    victim = world.site
    victim.add_article("real", REAL, story_text(1), published=datetime(2024, 5, 1, 6, tzinfo=UTC))
    victim_url = victim.set_feed("/feed.xml", entries=["real"], title="Victim News")
    real_link = victim.url("/articles/real")
    async with NewsSite(site_name="Evil") as evil, Fetcher(world.settings.net) as fetcher:
        paras = "".join(f"<p>{p}</p>" for p in story_text(1).split("\n\n"))
        evil.set_raw("/p/1", (f'<html><head><link rel="canonical" href="{real_link}"></head><body><article>'
                              f"<h1>{FAKE}</h1>{paras}</article></body></html>").encode(), "text/html")
        evil_url = evil.set_feed("/feed.xml", title="Evil", entries=[
            FeedItem(guid="1", title=FAKE, link=evil.url("/p/1"), published=datetime(2024, 5, 1, 5, tzinfo=UTC)),
            FeedItem(guid="2", title=FAKE + " 2", link=real_link, published=datetime(2024, 5, 1, 5, tzinfo=UTC)),
        ])
        now = world.clock()
        evil_feed = await world.store.add_feed(evil_url, poll_interval=60, now=now)
        await world.store.subscribe(OTHER_GUILD, OTHER_NEWS, evil_feed.id, now=now)
        victim_feed = await world.store.add_feed(victim_url, poll_interval=60, now=now)
        await world.store.subscribe(GUILD, NEWS, victim_feed.id, now=now)
        ingestor = Ingestor(world.settings, world.store, fetcher, clock=world.clock)
        assert (await ingestor.poll_feed(evil_feed)).ok
        assert (await ingestor.poll_feed(victim_feed)).new_articles == 1

    sink = DiscordSink(world.bot, interval=0)
    for delivery in await world.store.pending_deliveries(world.clock(), limit=50):
        assert isinstance(await sink.deliver(delivery), Delivered)
    [posted] = world.fake.messages(NEWS)
    embed = posted["embeds"][0]
    assert embed["title"] == REAL and embed["url"] == real_link
    assert FAKE not in str(posted)
    assert len(world.fake.messages(OTHER_NEWS)) == 1  # the attacker's server: its two copies, one story
