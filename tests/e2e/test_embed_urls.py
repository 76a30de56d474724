"""Embed URLs Discord calls "Not a well formed URL." cost their field, never the story or the digest."""

from __future__ import annotations

import dataclasses

import discord
import pytest

from bot.discord.sink import DiscordSink
from bot.models import PendingDelivery, Source, StoryView
from bot.store.sqlite.base import changes
from bot.work.delivery import Delivered
from bot.work.digests import run_due_digests
from tests.e2e.conftest import GUILD, LOG, NEWS, World

BAD_URLS = ("https://[::1", "https://%", "https://a..b")

STORY = StoryView(
    story_id=1, article_id=1, title="Hostile links", url="https://news.example/ok",
    source=Source("Example", "https://news.example/"), bullets=("A point.",), quotes=(), published_at=None,
    image_url=None, reading_minutes=1, reduction=0.5,
)


async def test_the_fake_refuses_malformed_embed_urls_like_discord(world: World) -> None:
    channel = world.bot.get_channel(NEWS)
    for bad in BAD_URLS:
        with pytest.raises(discord.HTTPException) as caught:
            await channel.send(embed=discord.Embed(title="x", url=bad))
        assert caught.value.status == 400 and caught.value.code == 50035
        assert "Not a well formed URL" in caught.value.text
    assert world.fake.messages(NEWS) == []


@pytest.mark.parametrize("bad", BAD_URLS)
async def test_a_story_with_malformed_urls_is_posted_without_them(world: World, bad: str) -> None:
    story = dataclasses.replace(STORY, url=bad, source=Source("Example", bad), image_url=bad,
                                other_sources=(Source("Other", bad),))
    outcome = await DiscordSink(world.bot, interval=0).deliver(
        PendingDelivery(id=5, guild_id=GUILD, channel_id=NEWS, subscription_id=None, story=story, attempts=0))
    assert isinstance(outcome, Delivered)
    embed = world.fake.messages(NEWS)[0]["embeds"][0]
    assert embed["title"] == "Hostile links" and "url" not in embed
    assert "url" not in embed.get("author", {}) and "thumbnail" not in embed
    assert bad not in str(embed)


async def test_a_digest_holding_a_malformed_url_is_posted(world: World) -> None:
    """On main the digest was refused with 50035 and retried on every check, for ever."""
    await world.store.set_log_channel(GUILD, LOG)
    feed = await world.store.add_feed("https://bad.example/rss", title="Bad", now=world.clock())
    await world.store.subscribe(GUILD, NEWS, feed.id, now=world.clock())
    await world.add_story(feed.id, "Good story")
    story_id = await world.add_story(feed.id, "Bad link story")
    # a link stored before this fix (or by a lenient canonicaliser)
    await world.store._write_sync(changes, "UPDATE articles SET url = ?, image_url = ? WHERE story_id = ?",  # type: ignore[attr-defined]
                                  ("https://a..b/x", "https://%", story_id))
    await world.answer("digest schedule", {"time": "07:30", "timezone": "UTC"})
    world.clock.advance(minutes=31)
    assert await run_due_digests(world.store, world.bot.sink, now=world.clock(), max_stories=10) == 1
    digest = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(digest) == 1 and len(digest[0]["embeds"]) == 2
    assert world.fake.messages(LOG) == []
