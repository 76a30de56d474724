"""/feed ping, pause, resume, preview, test, look, mode and move through the real client and the strict fake:
what each one posts, where, looking how, pinging whom, and what it says when a permission is missing."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from datetime import timedelta as _timedelta

import pytest

from bot.discord import post_look, post_modes
from bot.discord.sink import DiscordSink
from bot.models import PendingDelivery, QuoteRecord
from bot.work.delivery import Delivered
from bot.work.lanes import DeliveryLanes
from tests.e2e.conftest import GUILD, LOG, NEWS, World
from tests.fake_discord.constants import (
    ANNOUNCEMENT,
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    FORUM,
    MANAGE_WEBHOOKS,
)

FORUM_CH, ANN, SPARE = 1003, 1004, 1005
ROLE = 1500
EPHEMERAL = 1 << 6


async def followed(world: World, channel: int = NEWS, title: str = "Harbour Times") -> int:
    now = world.clock()
    feed = await world.store.add_feed(f"https://news.example/{title.lower().replace(' ', '-')}.xml", title=title,
                                      site_url="https://news.example/", now=now)
    await world.store.subscribe(GUILD, channel, feed.id, now=now)
    return feed.id


async def cached(predicate: Callable[[], object]) -> None:
    """Wait for discord.py's cache to catch up with a gateway event the fake just sent."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("discord.py's cache never showed the change")


async def drain(world: World) -> int:
    lanes = DeliveryLanes(world.store, world.bot.sink, owner="test:1:a", clock=world.clock, max_attempts=8,
                          interval=0.0, concurrency=8, lease=_timedelta(minutes=5))
    report = await lanes.drain()
    return report.delivered


def story_titles(world: World, channel: int) -> list[str]:
    out = []
    for m in world.fake.messages(channel):
        out += [e.get("title", "") for e in m.get("embeds") or []]
    return out


async def test_role_ping_mentions_only_that_role_even_when_the_title_says_everyone(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    keyword_threads: list[threading.Thread] = []

    def matches(*args: object) -> bool:
        keyword_threads.append(threading.current_thread())
        return real_matches(*args)  # type: ignore[arg-type]

    real_matches = post_look.matches
    monkeypatch.setattr(post_look, "matches", matches)
    world.fake.add_role(GUILD, ROLE, "harbour-news", mentionable=True)
    await cached(lambda: world.bot.get_guild(GUILD).get_role(ROLE) is not None)
    feed = await followed(world)
    answer = await world.answer("feed ping", {"feed": str(feed), "role": ROLE, "keywords": "bridge, ferry"})
    assert f"<@&{ROLE}>" in answer["content"] and "bridge" in answer["content"]
    assert int(answer["flags"]) & EPHEMERAL

    await world.add_story(feed, f"@everyone @here the bridge reopens, says <@42> and <@&{ROLE + 1}>")
    await world.add_story(feed, "Council budget passes")  # no keyword: no ping
    assert await drain(world) == 2
    pinged, quiet = world.fake.messages(NEWS)
    assert pinged["content"] == f"<@&{ROLE}>"
    assert pinged["mention_roles"] == [str(ROLE)]
    assert pinged["mentions"] == [] and pinged["mention_everyone"] is False
    allowed = world.fake.allowed_mentions[int(pinged["id"])]
    assert allowed["parse"] == [] and [int(r) for r in allowed["roles"]] == [ROLE] and not allowed.get("users")
    assert "@everyone" not in pinged["embeds"][0]["title"]  # defused in the text as well
    assert quiet["content"] == "" and quiet["mention_roles"] == []

    assert "missing" not in answer["content"]  # a mentionable role needs no extra permission
    assert keyword_threads and threading.main_thread() not in keyword_threads  # /regex/ keywords: off the loop

    off = await world.answer("feed ping", {"feed": str(feed), "off": True})
    assert "no longer mentions" in off["content"]
    await world.add_story(feed, "Ferry timetable changes")
    assert await drain(world) == 1
    assert world.fake.messages(NEWS)[-1]["mention_roles"] == []


async def test_forum_channel_gets_a_post_per_story_titled_with_it_and_tagged(world: World) -> None:
    world.fake.add_channel(GUILD, FORUM_CH, "stories", type=FORUM, tags=["Local", "Sport"])
    await cached(lambda: world.bot.get_channel(FORUM_CH) is not None)
    feed = await followed(world, FORUM_CH)
    answer = await world.answer("feed mode", {"feed": str(feed), "tag": "sport"})
    assert "tagged forum posts" in answer["content"]
    await world.add_story(feed, "Harbour rowing club wins the cup")
    await world.add_story(feed, "Stadium roof repairs begin")
    assert await drain(world) == 2
    threads = [c for c in world.fake.channels.values() if c.parent_id == FORUM_CH]
    assert sorted(t.name for t in threads) == ["Harbour rowing club wins the cup", "Stadium roof repairs begin"]
    sport = next(t["id"] for t in world.fake.channels[FORUM_CH].tags if t["name"] == "Sport")
    for thread in threads:
        assert thread.applied_tags == [sport]
        (first,) = world.fake.messages(thread.id)
        assert first["id"] == str(thread.id) and first["embeds"][0]["title"] == thread.name
        assert first["embeds"][0]["description"].startswith("• ")
    assert await world.store.pending_deliveries(world.clock()) == []
    # A retry after a crash (the post was made, its recording lost) finds the post instead of repeating it.
    (view,) = await world.store.latest(GUILD, feed_id=feed, limit=1)
    sub = (await world.store.guild_subscriptions(GUILD))[0][0]
    retry = PendingDelivery(id=77, guild_id=GUILD, channel_id=FORUM_CH, subscription_id=sub.id, story=view,
                            attempts=1)
    outcome = await world.bot.sink.deliver(retry)
    assert isinstance(outcome, Delivered)
    assert outcome.message_id in {t.id for t in threads}
    assert len([c for c in world.fake.channels.values() if c.parent_id == FORUM_CH]) == 2


async def test_pause_then_resume_with_the_missed_stories_newest_first_and_bounded(world: World) -> None:
    feed = await followed(world)
    await world.add_story(feed, "Before the pause")
    paused = await world.answer("feed pause", {"feed": str(feed)})  # also holds back what was queued
    assert "Paused" in paused["content"]
    for n in range(3):
        world.clock.advance(minutes=1)
        await world.add_story(feed, f"Missed story {n}")
    assert await drain(world) == 0 and world.fake.messages(NEWS) == []
    world.bot.settings = dataclasses.replace(
        world.bot.settings, limits=dataclasses.replace(world.bot.settings.limits, missed_stories=2))
    resumed = await world.answer("feed resume", {"feed": str(feed), "missed": "post"})
    assert "posting the 2 newest stories" in resumed["content"]
    assert await drain(world) == 2
    assert story_titles(world, NEWS) == ["Missed story 2", "Missed story 1"]
    await world.add_story(feed, "After the resume")
    assert await drain(world) == 1


async def test_pause_then_resume_skipping_what_was_missed(world: World) -> None:
    feed = await followed(world)
    await world.answer("feed pause", {"feed": str(feed), "channel": NEWS})
    await world.add_story(feed, "Missed while paused")
    enable = await world.answer("feed enable", {"feed": str(feed)})
    assert "nothing to do" in enable["content"]  # an admin's pause ends with /feed resume only
    skipped = await world.answer("feed resume", {"feed": str(feed), "missed": "skip"})
    assert "skipped" in skipped["content"]
    assert await drain(world) == 0
    world.clock.advance(minutes=1)
    await world.add_story(feed, "Posted after the resume")
    assert await drain(world) == 1
    assert story_titles(world, NEWS) == ["Posted after the resume"]


async def test_preview_is_exactly_the_post_that_follows(world: World) -> None:
    world.fake.add_role(GUILD, ROLE, "harbour-news", mentionable=True)
    await cached(lambda: world.bot.get_guild(GUILD).get_role(ROLE) is not None)
    feed = await followed(world)
    await world.answer("feed look", {"feed": str(feed), "style": "full", "bullets": 1, "quotes": False,
                                     "colour": "#ff8800"})
    await world.answer("feed ping", {"feed": str(feed), "role": ROLE})
    await world.add_story(feed, "Tide gauge installed", bullets=("One.", "Two.", "Three."),
                          quote=QuoteRecord("It works", "Ana Silva"))
    preview = await world.answer("feed preview", {"feed": str(feed)})
    assert int(preview["flags"]) & EPHEMERAL
    assert world.fake.messages(NEWS) == []  # a preview posts nothing
    assert await drain(world) == 1
    (post,) = world.fake.messages(NEWS)
    assert (preview["content"], preview["embeds"]) == (post["content"], post["embeds"])
    embed = post["embeds"][0]
    assert embed["color"] == 0xFF8800 and embed["description"] == "• One." and "fields" not in embed
    listing = (await world.answer("feed list"))["embeds"][0]["fields"][0]["value"]
    assert f"1 bullet · no quotes · colour #FF8800 · pings <@&{ROLE}>" in listing


async def test_looks_compact_and_text_only(world: World) -> None:
    feed = await followed(world)
    await world.answer("feed look", {"feed": str(feed), "style": "compact"})
    await world.add_story(feed, "Compact story", bullets=("Only this one.", "Not this."))
    await drain(world)
    compact = world.fake.messages(NEWS)[-1]["embeds"][0]
    assert compact["title"] == "Compact story" and compact["url"].endswith("/compact-story")
    assert compact["description"] == "• Only this one." and "fields" not in compact and "footer" not in compact
    await world.answer("feed look", {"feed": str(feed), "style": "text"})
    await world.add_story(feed, "Text story", bullets=("Plain point.",))
    await drain(world)
    text = world.fake.messages(NEWS)[-1]
    assert text["embeds"] == []
    assert text["content"].startswith("**Text story**\n<https://news.example/text-story>")
    assert "• Plain point." in text["content"]


async def test_test_posts_the_newest_story_now(world: World) -> None:
    feed = await followed(world)
    await world.add_story(feed, "Older story", age_h=3)
    world.clock.advance(minutes=5)
    await world.add_story(feed, "Newest story")
    answer = await world.answer("feed test", {"feed": str(feed)})
    assert "Posted the newest story" in answer["content"]
    assert story_titles(world, NEWS) == ["Newest story"]


async def test_missing_permissions_are_named_and_webhook_falls_back_to_the_bot(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    world.fake.set_bot_permissions(NEWS, deny=MANAGE_WEBHOOKS | CREATE_PUBLIC_THREADS)
    await cached(
        lambda: not world.bot.get_channel(NEWS).permissions_for(world.bot.get_guild(GUILD).me).manage_webhooks)
    feed = await followed(world)
    hook = await world.answer("feed look", {"feed": str(feed), "webhook": True})
    assert "missing Manage Webhooks" in hook["content"] and "I post the stories myself" in hook["content"]
    thread = await world.answer("feed mode", {"feed": str(feed), "thread": True})
    assert "Create Public Threads" in thread["content"]
    await world.add_story(feed, "Posted by the bot instead")
    assert await drain(world) == 1
    (post,) = world.fake.messages(NEWS)
    assert post["author"]["id"] == str(world.fake.bot_id) and "webhook_id" not in post
    notes = " ".join(m["content"] for m in world.fake.messages(LOG))
    assert "Manage Webhooks" in notes and "Create Public Threads" in notes
    world.fake.set_bot_permissions(LOG, deny=EMBED_LINKS)
    await cached(lambda: not world.bot.get_channel(LOG).permissions_for(world.bot.get_guild(GUILD).me).embed_links)
    world.site.add_article("quay", "Quay widened", "The quay was widened. " * 40)
    url = world.site.set_feed("/quay.xml", entries=["quay"], title="Quay News")
    answer = await world.answer("feed add", {"url": url, "channel": LOG})
    assert "I'm missing Embed Links in <#1001>" in answer["content"]


async def test_webhook_posts_as_the_feed_and_threads_and_publishing(world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    feed = await followed(world)
    await world.answer("feed look", {"feed": str(feed), "webhook": True})
    await world.answer("feed mode", {"feed": str(feed), "thread": True})
    await world.add_story(feed, "Lighthouse restored")
    assert await drain(world) == 1
    (post,) = world.fake.messages(NEWS)
    assert post["author"]["username"] == "Harbour Times" and "webhook_id" in post
    assert post["avatar_url"] == "https://news.example/favicon.ico"
    thread = world.fake.channels[int(post["id"])]
    assert thread.parent_id == NEWS and thread.name == "Lighthouse restored"
    # After a restart, a retry of that delivery finds the webhook's post (webhooks take no nonce).
    (view,) = await world.store.latest(GUILD, feed_id=feed, limit=1)
    sub = (await world.store.guild_subscriptions(GUILD))[0][0]
    retry = PendingDelivery(id=78, guild_id=GUILD, channel_id=NEWS, subscription_id=sub.id, story=view,
                            attempts=0)
    outcome = await DiscordSink(world.bot).deliver(retry)
    assert isinstance(outcome, Delivered) and outcome.message_id == int(post["id"])
    assert len(world.fake.messages(NEWS)) == 1

    world.fake.add_channel(GUILD, ANN, "announcements", type=ANNOUNCEMENT)
    await cached(lambda: world.bot.get_channel(ANN) is not None)
    other = await followed(world, ANN, "Port Gazette")
    refused = await world.answer("feed mode", {"feed": str(feed), "publish": True})
    assert "not an announcement channel" in refused["content"]
    await world.answer("feed mode", {"feed": str(other), "publish": True})
    # Discord allows 10 publishes per channel per hour (here 2, and the bot's budget with it): past that the
    # story still goes out, unpublished, and Discord is never asked beyond the limit (no 429).
    world.fake.ratelimits.route_limits[("POST", "/channels/{channel}/messages/{message}/crosspost")] = (2, 3600.0)
    monkeypatch.setattr(post_modes, "PUBLISHES_PER_WINDOW", 2)
    await world.add_story(other, "Port opens to cruise ships")
    assert await drain(world) == 1
    (announced,) = world.fake.messages(ANN)
    assert world.fake.crossposted == [int(announced["id"])]
    for n in range(2):
        await world.add_story(other, f"Cruise ship {n} arrives")
    assert await drain(world) == 2
    assert len(world.fake.messages(ANN)) == 3 and len(world.fake.crossposted) == 2
    assert world.fake.rate_limited == []


async def test_channel_options_on_remove_and_filter_and_move(world: World) -> None:
    world.fake.add_channel(GUILD, SPARE, "spare")
    await cached(lambda: world.bot.get_channel(SPARE) is not None)
    feed = await followed(world)
    await world.store.subscribe(GUILD, LOG, feed, now=world.clock())
    filtered = await world.answer("feed filter", {"feed": str(feed), "include": "bridge", "channel": LOG})
    assert "include `bridge`" in filtered["content"]
    subs = {s.channel_id: s for s, _ in await world.store.guild_subscriptions(GUILD)}
    assert subs[LOG].include == "bridge" and subs[NEWS].include is None
    await world.answer("feed look", {"feed": str(feed), "style": "compact", "channel": NEWS})
    await world.add_story(feed, "Queued before the move")
    moved = await world.answer("feed move", {"feed": str(feed), "from": NEWS, "to": SPARE})
    assert f"<#{SPARE}>" in moved["content"]
    clash = await world.answer("feed move", {"feed": str(feed), "from": SPARE, "to": LOG})
    assert "already follows" in clash["content"]
    assert await drain(world) == 1
    assert world.fake.messages(NEWS) == []
    (post,) = world.fake.messages(SPARE)
    assert "footer" not in post["embeds"][0]  # the compact look moved with it
    removed = await world.answer("feed remove", {"feed": str(feed), "channel": LOG})
    assert "(1 channel)" in removed["content"]
    assert [s.channel_id for s, _ in await world.store.guild_subscriptions(GUILD)] == [SPARE]
    nowhere = await world.answer("feed remove", {"feed": str(feed), "channel": NEWS})
    assert "is not posted in" in nowhere["content"]


async def test_a_forum_subscription_is_told_of_a_disabled_feed_through_the_log_channel(world: World) -> None:
    world.fake.add_channel(GUILD, FORUM_CH, "stories", type=FORUM)
    await cached(lambda: world.bot.get_channel(FORUM_CH) is not None)
    feed_id = await followed(world, FORUM_CH)
    feed = await world.store.get_feed(feed_id)
    assert feed is not None
    assert await world.bot.sink.announce_feed_disabled(feed, "HTTP 410") == 0  # a forum takes no plain message
    await world.store.set_log_channel(GUILD, LOG)
    assert await world.bot.sink.announce_feed_disabled(feed, "HTTP 410") == 1
    assert "HTTP 410" in world.fake.messages(LOG)[-1]["content"]


async def test_pinging_a_role_nobody_may_mention_names_the_missing_permission(world: World) -> None:
    world.fake.add_role(GUILD, ROLE, "staff", mentionable=False)
    await cached(lambda: world.bot.get_guild(GUILD).get_role(ROLE) is not None)
    feed = await followed(world)
    answer = await world.answer("feed ping", {"feed": str(feed), "role": ROLE})
    assert "I'm missing Mention @everyone, @here and All Roles in <#1000>" in answer["content"]
    await world.add_story(feed, "Staff rota changes")
    assert await drain(world) == 1
    (post,) = world.fake.messages(NEWS)
    assert post["content"] == f"<@&{ROLE}>" and post["mention_roles"] == []  # Discord did not ping it


async def test_a_text_post_unrecorded_before_a_restart_is_not_posted_twice(world: World) -> None:
    """Text-only posts have no embed URL to find in the channel's history: the title and link lines are
    the post's mark, so a restarted process past Discord's nonce window still finds it."""
    world.fake.add_role(GUILD, ROLE, "harbour-news", mentionable=True)
    await cached(lambda: world.bot.get_guild(GUILD).get_role(ROLE) is not None)
    feed = await followed(world)
    await world.answer("feed look", {"feed": str(feed), "style": "text"})
    await world.answer("feed ping", {"feed": str(feed), "role": ROLE})
    await world.add_story(feed, "Ferry strike ends", bullets=("Boats run again from Monday.",))
    assert await drain(world) == 1
    [posted] = world.fake.messages(NEWS)
    assert posted["embeds"] == [] and posted["content"].startswith(f"<@&{ROLE}>\n**Ferry strike ends**")
    [(sub, _)] = await world.store.guild_subscriptions(GUILD)
    story_id = (await world.store.latest(GUILD, limit=1))[0].story_id
    view = await world.store.story_view(GUILD, story_id)
    assert view is not None
    world.fake.nonce_window = 0  # the restart came too late for Discord's nonce check to help
    restarted = DiscordSink(world.bot, interval=0)  # a new process: it knows nothing of the first post
    again = await restarted.deliver(PendingDelivery(id=9001, guild_id=GUILD, channel_id=NEWS,
                                                    subscription_id=sub.id, story=view, attempts=0))
    assert isinstance(again, Delivered) and again.message_id == int(posted["id"])
    assert len(world.fake.messages(NEWS)) == 1



async def test_a_pause_stops_even_the_stories_a_lane_has_already_taken(world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A lane takes a channel's queue a batch at a time; a /feed pause that lands while it posts the batch
    stops the rest of it, not only what is queued after."""
    feed = await followed(world)
    for n in range(3):
        await world.add_story(feed, f"Queued story {n}")
    sink = world.bot.sink
    real_deliver = sink.deliver

    async def deliver_then_pause(delivery: PendingDelivery) -> object:
        outcome = await real_deliver(delivery)
        if isinstance(outcome, Delivered):  # an admin pauses right after the first post
            await world.answer("feed pause", {"feed": str(feed), "channel": NEWS})
        return outcome

    monkeypatch.setattr(sink, "deliver", deliver_then_pause)
    assert await drain(world) == 1
    assert story_titles(world, NEWS) == ["Queued story 0"]


async def test_testing_a_paused_feed_says_it_is_paused_and_posts_nothing(world: World) -> None:
    feed = await followed(world)
    await world.add_story(feed, "Not while paused")
    await world.answer("feed pause", {"feed": str(feed), "channel": NEWS})
    answer = await world.answer("feed test", {"feed": str(feed)})
    assert "is paused" in answer["content"] and "/feed resume" in answer["content"]
    assert world.fake.messages(NEWS) == []
