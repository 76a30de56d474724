"""Story post looks and the limits' bookkeeping: pure parts, without Discord."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.discord.limits import Busy, Cooldowns, JobPool
from bot.discord.post_look import story_post, text_post_url
from bot.discord.render import CONTENT_LIMIT, ulen
from bot.models import PostSettings, QuoteRecord, Source, StoryView

HUGE = StoryView(
    story_id=1, article_id=1, title="@everyone " + "Harbour " * 300, url="https://news.example/h",
    source=Source("Example", "https://news.example/"), bullets=("Point <@&55> " * 200,) * 8,
    quotes=(QuoteRecord("Said " * 500, "Ana Silva"),), published_at=None, image_url=None,
    reading_minutes=3, reduction=0.8,
)


@pytest.mark.parametrize("look", ["full", "compact", "text"])
def test_every_look_fits_discord_and_pings_only_the_role(look: str) -> None:
    post = story_post(HUGE, PostSettings(look=look, ping_role_id=77))
    assert post.content is not None and post.content.startswith("<@&77>")
    assert ulen(post.content) <= CONTENT_LIMIT
    assert "@everyone" not in post.content and "<@&55>" not in post.content
    mentions = post.allowed_mentions.to_dict()
    assert mentions["parse"] == [] and mentions["roles"] == [77] and "users" not in mentions
    assert 1 <= len(post.thread_name) <= 100
    assert (post.embed is None) == (look == "text")


def test_keywords_decide_the_ping_and_settings_shape_the_embed() -> None:
    settings = PostSettings(ping_role_id=5, ping_keywords="ferry", bullets=1, quotes=False, colour=0x00FF00)
    post = story_post(HUGE, settings)
    assert post.pinged_role is None and post.content is None
    assert post.embed is not None and post.embed.colour is not None and post.embed.colour.value == 0x00FF00
    assert (post.embed.description or "").count("• ") == 1 and not post.embed.fields


def test_cooldowns_per_member_then_per_server() -> None:
    now = [0.0]
    cooldowns = Cooldowns(per_user=10, per_server=3, clock=lambda: now[0])
    cooldowns.check("search", 1, 100)
    with pytest.raises(Busy, match="you can use `/search` again in 10 s"):
        cooldowns.check("search", 1, 100)
    with pytest.raises(Busy, match="busy in this server"):
        cooldowns.check("search", 2, 100)
    cooldowns.check("quotes", 2, 100)  # another command
    cooldowns.check("search", 3, 200)  # another server
    now[0] = 3.0
    cooldowns.check("search", 2, 100)  # the refused try did not count
    now[0] = 10.0
    with pytest.raises(Busy):
        cooldowns.check("search", 2, 100)


async def test_job_pool_refuses_when_full_and_frees_when_the_job_ends() -> None:
    pool = JobPool(2)
    release = asyncio.Event()
    jobs = [pool.start(release.wait()), pool.start(release.wait())]
    extra = release.wait()
    assert pool.start(extra) is None and pool.refused == 1
    release.set()
    await asyncio.gather(*(j for j in jobs if j is not None))
    await asyncio.sleep(0)
    assert pool.running == 0
    task = pool.start(asyncio.sleep(0))
    assert task is not None
    await task


@pytest.mark.parametrize("ping", [None, 77])
def test_a_text_post_names_its_story_url_and_nothing_else_does(ping: int | None) -> None:
    story = dataclasses.replace(HUGE, title="**Bold** claims *and* <@&5>", url="https://news.example/a?b=1")
    post = story_post(story, PostSettings(look="text", ping_role_id=ping))
    assert text_post_url(post.content) == "https://news.example/a?b=1"
    for other in ("⚠️ I gave up posting the story in <#1>: refused.", "📰 **Daily digest**\n<https://x.example>",
                  "**Title only**", "", None, "**" + "x" * 5000 + "**\n<https://x.example/>"):
        assert text_post_url(other) is None
