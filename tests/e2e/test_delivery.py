"""DiscordSink against the fake Discord: idempotent posts, retries, gone channels, scheduled digests."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.discord.render import EMBED_TOTAL_LIMIT, ulen
from bot.discord.sink import DiscordSink
from bot.models import PendingDelivery, QuoteRecord, Source, StoryView
from bot.work.delivery import ChannelGone, Delivered, RetryLater
from bot.work.digests import run_due_digests
from tests.e2e.conftest import GUILD, LOCKED, LOG, NEWS, World
from tests.fake_discord import MEMBER_PERMISSIONS

STORY = StoryView(
    story_id=1, article_id=1, title="Bridge @everyone opens " + "very " * 80, url="https://news.example/b",
    source=Source("Example", "https://news.example/"), bullets=("Point <@123456789012345678> " * 60,) * 4,
    quotes=(QuoteRecord("We did it " * 200, "Ana Silva"),), published_at=None, image_url=None,
    reading_minutes=3, reduction=0.87,
)


def delivery(i: int, channel: int = NEWS) -> PendingDelivery:
    return PendingDelivery(id=i, guild_id=GUILD, channel_id=channel, subscription_id=None, story=STORY,
                           attempts=0)


async def test_story_is_posted_once_within_limits_without_mentions(world: World) -> None:
    sink = DiscordSink(world.bot, interval=0)
    first = await sink.deliver(delivery(42))
    again = await sink.deliver(delivery(42))  # a retry after a crash: same nonce
    assert isinstance(first, Delivered) and again == first
    messages = world.fake.messages(NEWS)
    assert len(messages) == 1
    msg = messages[0]
    assert world.fake.allowed_mentions[int(msg["id"])] == {"parse": []}
    embed = msg["embeds"][0]
    assert len(embed["title"]) <= 256 and "@everyone" not in embed["title"]
    total = ulen(embed["title"]) + ulen(embed.get("description", "")) + sum(
        ulen(f["name"]) + ulen(f["value"]) for f in embed.get("fields", []))
    assert total <= EMBED_TOTAL_LIMIT
    assert msg["mentions"] == [] and not msg["mention_everyone"]


async def test_server_errors_and_rate_limits_retry_later_then_succeed(world: World) -> None:
    sink = DiscordSink(world.bot, interval=0, send_timeout=0.5)
    world.fake.fail_next("POST", "/channels/*/messages", 500)
    outcome = await sink.deliver(delivery(1))
    assert isinstance(outcome, RetryLater)
    assert isinstance(await sink.deliver(delivery(1)), Delivered)
    # A short 429 is waited out by discord.py itself; a long one comes back as RetryLater.
    world.fake.fail_next("POST", "/channels/*/messages", 429, retry_after=0.05)
    assert isinstance(await sink.deliver(delivery(2)), Delivered)
    world.fake.fail_next("POST", f"/channels/{LOG}/messages", 429, retry_after=120)
    outcome = await sink.deliver(delivery(3, channel=LOG))
    assert isinstance(outcome, RetryLater) and outcome.after_seconds >= 100
    assert len(world.fake.messages(NEWS)) == 2


async def test_forbidden_channel_is_gone_and_the_log_channel_is_told(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    sink = DiscordSink(world.bot, interval=0)
    outcome = await sink.deliver(delivery(7, channel=LOCKED))
    assert isinstance(outcome, ChannelGone) and "Send Messages" in outcome.reason
    note = await world.fake.wait_for_message(LOG)
    assert f"<#{LOCKED}>" in note["content"] and "/feed enable" in note["content"]
    world.fake.delete_channel(NEWS)
    gone = await sink.deliver(delivery(8))
    assert isinstance(gone, ChannelGone) and "gone" in gone.reason
    assert len(world.fake.messages(LOG)) == 2


async def test_pacing_spaces_posts_to_one_channel(world: World) -> None:
    sink = DiscordSink(world.bot, interval=0.2)
    loop_time = __import__("asyncio").get_running_loop().time
    start = loop_time()
    for i in range(3):
        assert isinstance(await sink.deliver(delivery(100 + i)), Delivered)
    assert loop_time() - start >= 0.4


async def test_digest_is_posted_at_its_scheduled_time_once(world: World) -> None:
    now = world.clock()  # 07:00 UTC
    feed = await world.store.add_feed("https://d.example/rss", title="D", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    for i in range(14):
        await world.add_story(feed.id, f"Digest story {i} " + "long " * 30, bullets=("b " * 200,) * 3)
    msg = await world.answer("digest schedule", {"time": "07:30", "timezone": "UTC"})
    assert "07:30 (UTC)" in msg["content"]
    sink = world.bot.sink
    world.clock.advance(minutes=20)
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=12) == 0
    world.clock.advance(minutes=15)
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=12) == 1
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=12) == 0
    posted = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(posted) == 1 and "12 stories" in posted[0]["content"]
    in_all = sum(len(m.get("embeds") or []) for m in world.fake.all_messages())
    assert in_all == 12  # the overflow went to the thread
    schedule = await world.store.get_digest(NEWS)
    assert schedule is not None and schedule.next_due_at.day == 2


async def test_digest_now_posts_and_the_next_scheduled_digest_starts_after_it(world: World) -> None:
    now = world.clock()  # 07:00 UTC
    feed = await world.store.add_feed("https://n.example/rss", title="N", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    await world.add_story(feed.id, "Morning story one")
    await world.add_story(feed.id, "Morning story two")
    await world.answer("digest schedule", {"time": "07:30", "timezone": "UTC"})
    world.clock.advance(minutes=5)

    answer = await world.answer("digest now", {})
    assert "Posted a digest of 2 stories" in answer["content"]
    manual = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(manual) == 1
    again = await world.answer("digest now", {})
    assert "No new stories" in again["content"]

    world.clock.advance(minutes=10)
    await world.add_story(feed.id, "Late morning story", age_h=0)
    world.clock.advance(minutes=20)  # 07:35: the scheduled digest is due
    assert await run_due_digests(world.store, world.bot.sink, now=world.clock(), max_stories=10) == 1
    digests = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(digests) == 2, "the scheduled digest was posted, not swallowed as a repeat of the manual one"
    titles = [e.get("title", "") for e in digests[-1].get("embeds") or []]
    assert titles == ["Late morning story"] or any("Late morning story" in str(e) for e in digests[-1]["embeds"])
    assert not any("Morning story one" in str(e) for e in digests[-1]["embeds"])


async def test_collapsed_whitespace_is_not_shown_as_a_cut(world: World) -> None:
    """A headline with a line break or a double space came out as the headline followed by a run of "…"
    filling the whole slot: collapsing whitespace was taken for cutting the text."""
    story = dataclasses.replace(STORY, title="Bridge  opens\nat last ", bullets=("Work starts\n in May.",),
                                quotes=(QuoteRecord("We did it.\n", "Ana  Silva"),))
    outcome = await DiscordSink(world.bot, interval=0).deliver(
        dataclasses.replace(delivery(50), story=story))
    assert isinstance(outcome, Delivered)
    embed = world.fake.messages(NEWS)[-1]["embeds"][0]
    assert embed["title"] == "Bridge opens at last"
    assert embed["description"] == "• Work starts in May."
    assert embed["fields"][0]["value"] == "“We did it.” — Ana Silva"


async def test_digest_overflow_falls_back_to_the_channel_when_the_thread_refuses_posts(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Create Public Threads but not Send Messages in Threads, the first post of the thread failed
    with 403: the digest (already posted) was reported as a channel the bot cannot post in, the log
    channel was told so, and the schedule did not count it as sent."""
    await world.store.set_log_channel(GUILD, LOG)
    now = world.clock()
    feed = await world.store.add_feed("https://o.example/rss", title="O", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    for i in range(14):
        await world.add_story(feed.id, f"Overflow story {i} " + "long " * 30, bullets=("b " * 200,) * 3)
    new_thread = world.fake._new_thread

    def thread_without_send(*args: Any, **kwargs: Any) -> Any:
        thread = new_thread(*args, **kwargs)
        thread.can_send = False
        return thread

    monkeypatch.setattr(world.fake, "_new_thread", thread_without_send)
    await world.answer("digest schedule", {"time": "07:30", "timezone": "UTC"})
    world.clock.advance(minutes=35)
    assert await run_due_digests(world.store, world.bot.sink, now=world.clock(), max_stories=12) == 1
    in_channel = world.fake.messages(NEWS)
    assert sum(len(m.get("embeds") or []) for m in in_channel) == 12
    assert "Part 2 of" in in_channel[-1]["content"]
    assert world.fake.messages(LOG) == []
    schedule = await world.store.get_digest(NEWS)
    assert schedule is not None and schedule.last_sent_at == world.clock()


async def test_a_post_unrecorded_before_a_restart_is_found_after_the_nonce_expired(world: World) -> None:
    first = await DiscordSink(world.bot, interval=0).deliver(delivery(77))
    assert isinstance(first, Delivered)
    world.fake.nonce_window = 0  # the restart came too late for Discord's nonce check to help
    restarted = DiscordSink(world.bot, interval=0)  # a new process: it knows nothing of the first post
    again = await restarted.deliver(delivery(77))
    assert again == first
    assert len(world.fake.messages(NEWS)) == 1
    reads = len(world.fake.requests_to("GET", f"/channels/{NEWS}/messages"))
    assert reads == 2  # each process looks once before its first post in a channel
    # Later stories in the same channel are posted normally, and history is read only once.
    other = PendingDelivery(id=78, guild_id=GUILD, channel_id=NEWS, subscription_id=None,
                            story=dataclasses.replace(STORY, story_id=2, url="https://news.example/other"), attempts=0)
    assert isinstance(await restarted.deliver(other), Delivered)
    assert len(world.fake.messages(NEWS)) == 2
    assert len(world.fake.requests_to("GET", f"/channels/{NEWS}/messages")) == reads


async def test_after_a_restart_only_story_posts_count_as_already_posted(world: World) -> None:
    """On main the check matched any embed URL among the bot's recent messages: after a member had
    summarized a URL publicly, or a digest had listed it, the story's delivery was recorded as delivered
    and never posted."""
    text = "\n\n".join(f"The council met on Tuesday about bridge plan {i}; residents asked for it since "
                       f"{1990 + i}. \"We will build it,\" said Mayor Ana Silva." for i in range(8))
    summarized = world.site.add_article("bridge", "Bridge approved", text)
    handle = await world.run("summarize", {"url": summarized}, permissions=MEMBER_PERMISSIONS)
    assert (await handle.wait_original())["embeds"][0]["url"] == summarized
    in_digest = dataclasses.replace(STORY, story_id=3, url="https://news.example/in-digest")
    schedule = await world.store.set_digest(GUILD, NEWS, time_of_day="07:00", timezone="UTC",
                                            next_due_at=world.clock())
    assert isinstance(await world.bot.sink.post_digest(schedule, [in_digest]), Delivered)
    world.fake.nonce_window = 0  # the restart came too late for Discord's nonce check to help

    restarted = DiscordSink(world.bot, interval=0)
    for i, story in enumerate((dataclasses.replace(STORY, story_id=2, url=summarized), in_digest)):
        outcome = await restarted.deliver(PendingDelivery(id=200 + i, guild_id=GUILD, channel_id=NEWS,
                                                          subscription_id=None, story=story, attempts=0))
        assert isinstance(outcome, Delivered)
    story_posts = [m for m in world.fake.messages(NEWS) if not m.get("content") and len(m["embeds"]) == 1
                   and "interaction_metadata" not in m]
    assert [m["embeds"][0]["url"] for m in story_posts] == [summarized, "https://news.example/in-digest"]
