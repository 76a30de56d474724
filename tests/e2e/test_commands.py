"""Every slash command through the fake Discord: answers, permissions, guild scoping, command sync."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.discord.client import COMMANDS_HASH_KEY
from bot.models import QuoteRecord
from tests.e2e.conftest import ADMIN, GUILD, LOG, NEWS, OTHER_GUILD, OTHER_NEWS, World
from tests.fake_discord import MEMBER_PERMISSIONS

EPHEMERAL = 1 << 6


def text_of(msg: dict[str, Any]) -> str:
    return (msg.get("content") or "") + " ".join(str(e) for e in msg.get("embeds") or [])


async def test_commands_are_synced_once_and_only_when_changed(world: World) -> None:
    names = {c["name"] for c in world.fake.global_commands()}
    assert names == {"feed", "summarize", "search", "latest", "quotes", "digest"}
    feed = next(c for c in world.fake.global_commands() if c["name"] == "feed")
    assert int(feed["default_member_permissions"]) == 1 << 5  # Manage Server
    assert {o["name"] for o in feed["options"]} == {"add", "remove", "list", "filter", "enable", "logchannel",
                                                   "ping", "pause", "resume", "preview", "test", "move",
                                                   "look", "mode"}
    puts = len(world.fake.requests_to("PUT", "/applications/*/commands"))
    assert puts == 1
    assert await world.store.get_meta(COMMANDS_HASH_KEY) == world.bot.commands_hash()
    assert await world.bot.sync_commands(force=False) is False  # unchanged: no request
    assert len(world.fake.requests_to("PUT", "/applications/*/commands")) == 1
    assert await world.bot.sync_commands(force=True) is True
    assert len(world.fake.requests_to("PUT", "/applications/*/commands")) == 2


async def test_feed_add_list_filter_remove(world: World) -> None:
    world.site.add_article("bridge", "Council approves bridge", "The council voted. " * 40)
    url = world.site.set_feed("/feed.xml", entries=["bridge"], title="Loopback Daily")
    handle = await world.run("feed add", {"url": url})
    assert (await handle.response())["type"] == 5  # deferred first: fetching may take > 3 s
    msg = await handle.wait_original()
    assert "Loopback Daily" in msg["content"] and "(1 entry)" in msg["content"]
    assert f"<#{NEWS}>" in msg["content"]
    assert handle.ephemeral
    rows = await world.store.guild_subscriptions(GUILD)
    assert [(s.channel_id, f.url) for s, f in rows] == [(NEWS, url)]
    feed_id = rows[0][1].id

    listing = await world.answer("feed list")
    assert "Loopback Daily" in text_of(listing) and f"<#{NEWS}>" in text_of(listing)

    bad = await world.answer("feed filter", {"feed": str(feed_id), "include": "/(a+)+/"})
    assert "can't be used" in bad["content"]
    ok = await world.answer("feed filter", {"feed": str(feed_id), "include": "bridge, tunnel"})
    assert "include `bridge, tunnel`" in ok["content"]
    assert (await world.store.guild_subscriptions(GUILD))[0][0].include == "bridge, tunnel"

    gone = await world.answer("feed remove", {"feed": str(feed_id)})
    assert "Stopped following **Loopback Daily**" in gone["content"]
    assert await world.store.guild_subscriptions(GUILD) == []


async def test_feed_add_explains_what_is_wrong(world: World) -> None:
    page = world.site.add_article("plain", "Just a page", "Text. " * 50)
    msg = await world.answer("feed add", {"url": page})
    assert "not a feed" in msg["content"] or "web page" in msg["content"]
    msg = await world.answer("feed add", {"url": world.site.url("/missing.xml")})
    assert "couldn't read" in msg["content"] and "404" in msg["content"]
    msg = await world.answer("feed add", {"url": "ftp://example.com/feed"})
    assert "https://" in msg["content"] and int(msg.get("flags") or 0) & EPHEMERAL


async def test_manage_commands_refused_without_manage_server(world: World) -> None:
    # Discord hides them (default_member_permissions) ...
    with pytest.raises(PermissionError):
        await world.run("feed list", permissions=MEMBER_PERMISSIONS)
    # ... and if a server overrides that for everyone, the bot still refuses, ephemerally.
    for cmd in world.fake.global_commands():
        if cmd["name"] in ("feed", "digest"):
            cmd["default_member_permissions"] = None
    for name, options in (("feed add", {"url": "https://x.example/feed"}), ("digest off", {})):
        handle = await world.run(name, options, permissions=MEMBER_PERMISSIONS)
        reply = (await handle.response())["data"]
        assert "Manage Server" in reply["content"] and reply["flags"] & EPHEMERAL
    assert await world.store.guild_subscriptions(GUILD) == []


async def test_guilds_only_see_and_change_their_own_feeds(world: World) -> None:
    now = world.clock()
    mine = await world.store.add_feed("https://mine.example/rss", title="Mine", now=now)
    theirs = await world.store.add_feed("https://theirs.example/rss", title="Theirs", now=now)
    await world.store.subscribe(GUILD, NEWS, mine.id, now=now)
    await world.store.subscribe(OTHER_GUILD, OTHER_NEWS, theirs.id, now=now)
    await world.add_story(mine.id, "Local bridge opens")
    await world.add_story(theirs.id, "Secret bridge elsewhere")

    handle = await world.fake.autocomplete("feed remove", {"feed": ""}, focused="feed", channel_id=NEWS,
                                           permissions=ADMIN)
    await handle.response()
    assert [c["value"] for c in handle.choices or []] == [str(mine.id)]
    for name in ("feed remove", "feed enable", "feed filter"):
        msg = await world.answer(name, {"feed": str(theirs.id)})
        assert "no feed" in msg["content"], name
    assert len(await world.store.guild_subscriptions(OTHER_GUILD)) == 1
    latest = text_of(await world.answer("latest", {}))
    assert "Local bridge opens" in latest and "Secret" not in latest


async def test_search_is_scoped_to_the_guild(world: World) -> None:
    now = world.clock()
    mine = await world.store.add_feed("https://mine.example/rss", title="Mine", now=now)
    theirs = await world.store.add_feed("https://theirs.example/rss", title="Theirs", now=now)
    await world.store.subscribe(GUILD, NEWS, mine.id, now=now)
    await world.store.subscribe(OTHER_GUILD, OTHER_NEWS, theirs.id, now=now)
    await world.add_story(mine.id, "Local bridge opens")
    await world.add_story(theirs.id, "Secret bridge elsewhere")
    found = text_of(await world.answer("search", {"query": "bridge"}))
    assert "Local bridge opens" in found and "Secret" not in found
    found = text_of(await world.answer("search", {"query": "bridge", "feed": str(theirs.id)}))
    assert "no feed" in found


async def test_quotes_and_latest_count(world: World) -> None:
    now = world.clock()
    feed = await world.store.add_feed("https://q.example/rss", title="Q", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    await world.add_story(feed.id, "Mayor speaks", quote=QuoteRecord("We will build it", "Ana Silva"))
    for i in range(4):
        await world.add_story(feed.id, f"Story number {i}", age_h=2 + i)
    msg = await world.answer("quotes", {"who": "Silva"})
    assert "We will build it" in text_of(msg) and "Ana Silva" in text_of(msg)
    assert "No quotes" in text_of(await world.answer("quotes", {"who": "Nobody Known"}))
    latest = await world.answer("latest", {"count": 2})
    assert len(latest["embeds"][0]["fields"]) == 2


async def test_feed_enable_resumes_paused_channel(world: World) -> None:
    now = world.clock()
    feed = await world.store.add_feed("https://e.example/rss", title="E", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    await world.store.set_feed_enabled(feed.id, False, now=now)
    await world.store.pause_channel(NEWS, "missing permission")
    msg = await world.answer("feed enable", {"feed": str(feed.id)})
    assert "enabled it again" in msg["content"] and "resumed posting" in msg["content"]
    sub, f = (await world.store.guild_subscriptions(GUILD))[0]
    assert not sub.paused and not f.disabled
    assert "already on" in (await world.answer("feed enable", {"feed": str(feed.id)}))["content"]


async def test_logchannel_and_digest_schedule_commands(world: World) -> None:
    assert f"<#{LOG}>" in (await world.answer("feed logchannel", {"channel": LOG}))["content"]
    assert await world.store.get_log_channel(GUILD) == LOG
    bad = await world.answer("digest schedule", {"time": "7:30", "timezone": "Europe/Pariss"})
    assert "Did you mean Europe/Paris" in bad["content"]
    ok = await world.answer("digest schedule", {"time": "7:30", "timezone": "europe/paris"})
    assert "07:30 (Europe/Paris)" in ok["content"]
    schedule = await world.store.get_digest(NEWS)
    assert schedule is not None and schedule.timezone == "Europe/Paris"
    assert "turned off" in (await world.answer("digest off", {}))["content"]
    assert "no daily digest" in (await world.answer("digest off", {}))["content"]


async def test_summarize_and_its_errors(world: World) -> None:
    text = "\n\n".join(
        f"The city council met on Tuesday to discuss plan number {i} for the river bridge, which residents "
        f"have asked for since {1990 + i}. \"We will finally build it,\" said Mayor Ana Silva."
        for i in range(8))
    url = world.site.add_article("river", "River bridge approved", text)
    handle = await world.run("summarize", {"url": url, "bullets": 2})
    assert (await handle.response())["type"] == 5
    msg = await handle.wait_original()
    embed = msg["embeds"][0]
    assert embed["title"] == "River bridge approved" and embed["url"] == url
    assert embed["description"].count("• ") == 2
    feed = world.site.set_feed("/f.xml", entries=["river"])
    error = await world.answer("summarize", {"url": feed})
    assert "not a web page" in error["content"] and error["flags"] & EPHEMERAL  # public "thinking" removed
    assert "couldn't fetch" in (await world.answer("summarize", {"url": world.site.url("/nope")}))["content"]


async def test_unexpected_errors_get_a_generic_answer(world: World, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    async def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.store, "latest", boom)
    msg = await world.answer("latest", {})
    assert "Something went wrong" in msg["content"] and msg["flags"] & EPHEMERAL
    assert "database on fire" in caplog.text


async def test_feed_values_that_are_not_plain_ids_are_not_found(world: World) -> None:
    """"²" passes str.isdigit() but int() refuses it, as it refuses 5000 digits: both must be "no feed",
    not "Something went wrong"."""
    for value in ("²", "9" * 5000):
        msg = await world.answer("feed remove", {"feed": value})
        assert "no feed" in msg["content"] and msg["flags"] & EPHEMERAL, value
        assert len(msg["content"]) <= 2000


async def test_digest_schedule_echoes_long_or_marked_up_input_within_limits(world: World) -> None:
    """An option holds up to 6000 characters; echoing it whole made the answer longer than 2000, so
    Discord refused it and the user saw nothing."""
    for options in ({"time": "7:30", "timezone": "Europe/" + "x" * 3000},
                    {"time": "**" + "9" * 3000, "timezone": "UTC"}):
        msg = await world.answer("digest schedule", options)
        assert msg["flags"] & EPHEMERAL
        assert "not a time" in msg["content"] and len(msg["content"]) <= 2000
    msg = await world.answer("digest schedule", {"time": "**late**", "timezone": "UTC"})
    assert "**late**" not in msg["content"] and "\\*\\*late\\*\\*" in msg["content"]
    assert await world.store.get_digest(NEWS) is None


async def test_posting_commands_run_in_a_thread_ask_for_a_text_channel(world: World) -> None:
    """Run in a thread (or a voice channel's chat) with no `channel` option, stories went to the thread,
    which Discord archives; the bot then failed to post there until the delivery was given up."""
    thread = world.fake._new_thread(world.fake.channels[NEWS], 5555, {"name": "chat"}, 11)
    world.site.add_article("t", "Thread story", "Text. " * 50)
    url = world.site.set_feed("/thread.xml", entries=["t"], title="Thread Feed")
    for name, options in (("feed add", {"url": url}), ("digest schedule", {"time": "07:30", "timezone": "UTC"}),
                          ("digest now", {})):
        msg = await world.answer(name, options, channel_id=thread.id)
        assert "text or announcement channel" in msg["content"] and msg["flags"] & EPHEMERAL, name
    assert await world.store.guild_subscriptions(GUILD) == []
    assert await world.store.get_digest(thread.id) is None
    # The `channel` option still works from a thread.
    msg = await world.answer("feed add", {"url": url, "channel": NEWS}, channel_id=thread.id)
    assert "Following **Thread Feed**" in msg["content"] and f"<#{NEWS}>" in msg["content"]


async def test_database_commands_acknowledge_before_touching_the_store(world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The store is one connection shared with ingest and retention: a command that reads or writes it
    before acknowledging misses Discord's 3-second deadline whenever a long transaction is running."""
    world.fake.interaction_deadline = 0.3
    now = world.clock()
    feed = await world.store.add_feed("https://slow.example/rss", title="Slow", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    busy = asyncio.Lock()
    await busy.acquire()  # a long transaction elsewhere

    def slowed(method: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            async with busy:
                pass
            return await method(*args, **kwargs)
        return wrapper

    for name in ("guild_subscriptions", "set_log_channel", "set_digest", "get_digest"):
        monkeypatch.setattr(world.store, name, slowed(getattr(world.store, name)))
    handles = [await world.run(name, options) for name, options in (
        ("feed list", {}), ("feed remove", {"feed": str(feed.id)}), ("feed enable", {"feed": str(feed.id)}),
        ("feed filter", {"feed": str(feed.id)}), ("feed logchannel", {"channel": LOG}),
        ("digest schedule", {"time": "07:30", "timezone": "UTC"}), ("digest off", {}))]
    await asyncio.sleep(0.5)  # past the deadline
    busy.release()
    for handle in handles:
        assert (await handle.response())["type"] == 5 and not handle.rejections
        await handle.wait_original()


async def test_filters_are_shown_exactly_as_typed(world: World) -> None:
    """Inside `code`, markdown escapes are not parsed: escaping the filter showed backslashes that the
    filter does not have (and a backtick ended the code span)."""
    now = world.clock()
    feed = await world.store.add_feed("https://f.example/rss", title="F", now=now)
    await world.store.subscribe(GUILD, NEWS, feed.id, now=now)
    regex = r"/\bbridge_\w+/"
    ok = await world.answer("feed filter", {"feed": str(feed.id), "include": regex, "exclude": "a`b, c*d"})
    assert f"include `{regex}`" in ok["content"] and "exclude `aˋb, c*d`" in ok["content"]
    listing = (await world.answer("feed list"))["embeds"][0]["fields"][0]["value"]
    assert f"include: `{regex}`" in listing and "exclude: `aˋb, c*d`" in listing


async def test_a_command_out_of_sync_with_discord_gets_a_clear_answer(world: World,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Discord's copy of a command can lag the code (sync is rate limited and slow to spread): the user
    was told "Something went wrong", the operator got a traceback instead of the fix."""
    quotes = next(c for c in world.fake._commands[None] if c["name"] == "quotes")
    quotes["options"] = [o for o in quotes["options"] if o["name"] != "who"]  # an older /quotes
    msg = await world.answer("quotes", {"days": 3})
    assert "has changed" in msg["content"] and msg["flags"] & EPHEMERAL
    assert "sync-commands" in caplog.text
