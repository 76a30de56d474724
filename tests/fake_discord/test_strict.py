"""The fake refuses what Discord refuses: rate limits, nonces, interactions, embeds, permissions, forum and
announcement channels, webhooks, pings, and gateway rules. Driven by the real discord.py client, and by raw
HTTP where discord.py would hide the answer (it paces itself by the rate-limit headers)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.fake_discord import FakeDiscord, running_client
from tests.fake_discord.constants import (
    ANNOUNCEMENT,
    EMBED_LINKS,
    FORUM,
    MANAGE_WEBHOOKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)
from tests.fake_discord.test_fake_discord import Bot

GUILD = 82_000_000_000_000_001
NEWS, NEWS2, ANN, FORUM_ID, BARE = (82_000_000_000_000_010 + i for i in range(5))
ROLE = 82_000_000_000_000_100


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(identify_interval=0) as server:
        server.add_channel(GUILD, NEWS, "news")
        server.add_channel(GUILD, NEWS2, "news-2")
        server.add_channel(GUILD, ANN, "announcements", type=ANNOUNCEMENT)
        server.add_channel(GUILD, FORUM_ID, "stories", type=FORUM, tags=["Politics", "Sport"])
        server.add_channel(GUILD, BARE, "bare")
        server.add_role(GUILD, ROLE, "news-pings", mentionable=True)
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    async with running_client(fake, Bot()) as client:
        await client.tree.sync()
        yield client


async def raw(fake: FakeDiscord, session: aiohttp.ClientSession, method: str, path: str,
              body: Any = None) -> tuple[int, dict[str, str], Any]:
    async with session.request(method, fake.api_base + path, json=body,
                               headers={"Authorization": "Bot fake-token"}) as resp:
        text = await resp.text()
        return resp.status, dict(resp.headers), json.loads(text) if text else None


async def test_every_answer_has_rate_limit_headers_and_a_channel_takes_five_posts_per_five_seconds(
        fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        answers = [await raw(fake, session, "POST", f"/channels/{NEWS}/messages", {"content": f"m{i}"})
                   for i in range(6)]
        other = await raw(fake, session, "POST", f"/channels/{NEWS2}/messages", {"content": "elsewhere"})
        missing = await raw(fake, session, "GET", "/channels/1/messages")
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * 5 + [429]
    remaining = [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]]
    assert remaining == ["4", "3", "2", "1", "0"]
    assert answers[5][0] == 429
    _, headers, body = answers[5]
    assert 0 < body["retry_after"] <= 5 and body["global"] is False
    assert headers["X-RateLimit-Scope"] == "user" and "Retry-After" in headers and "Via" in headers
    assert other[0] == 200 and other[1]["X-RateLimit-Remaining"] == "4"  # a bucket per channel
    assert missing[0] == 404 and "X-RateLimit-Bucket" in missing[1]  # headers on errors too
    assert len(fake.messages(NEWS)) == 5
    assert fake.rate_limited == [("POST", f"/channels/{NEWS}/messages", "user")]
    assert fake.invalid_requests == 1


async def test_global_limit_of_fifty_requests_per_second(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(*(raw(fake, session, "GET", f"/channels/{NEWS}") for _ in range(60)))
    limited = [(h, b) for s, h, b in answers if s == 429]
    assert len(limited) == 10
    assert all(b["global"] is True and h["X-RateLimit-Global"] == "true" for h, b in limited)
    assert {scope for *_, scope in fake.rate_limited} == {"global"}


async def test_discord_py_paces_itself_by_the_headers_and_gets_no_429(fake: FakeDiscord, bot: Bot) -> None:
    channel = bot.get_partial_messageable(NEWS, guild_id=GUILD)
    for i in range(7):
        await channel.send(f"post {i}")
    assert len(fake.messages(NEWS)) == 7
    assert fake.rate_limited == []  # it waited for the bucket to reset instead of being refused


async def test_nonces_per_author_length_and_reuse_after_delete(fake: FakeDiscord, bot: Bot) -> None:
    news = bot.get_partial_messageable(NEWS, guild_id=GUILD)
    first = await news.send("story", nonce="n-1")
    again = await bot.get_partial_messageable(NEWS2, guild_id=GUILD).send("story", nonce="n-1")
    assert again.id == first.id  # duplicates are per author, whichever channel
    with pytest.raises(discord.HTTPException) as too_long:
        await news.send("story", nonce="x" * 26)
    assert too_long.value.code == 50035
    await first.delete()
    with pytest.raises(discord.NotFound) as reused:
        await news.send("story", nonce="n-1")
    assert reused.value.code == 10008  # not 10003: the channel is fine


@pytest.mark.parametrize("embed", [
    {"title": "x", "url": "https://[::1"}, {"title": "x", "url": "https://%"}, {"title": "x", "url": "https://a..b"},
    {"title": "x", "url": "javascript:alert(1)"}, {"title": "x", "thumbnail": {"url": "ftp://x.example/a.png"}},
    {"title": "x", "timestamp": "yesterday"}, {"title": "x", "color": 0x1000000}, {"color": 5},
])
async def test_embeds_are_validated_like_discord(fake: FakeDiscord, bot: Bot, embed: dict[str, Any]) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(Route("POST", "/channels/{channel_id}/messages", channel_id=NEWS),
                               json={"content": "story", "embeds": [embed]})
    assert refused.value.status == 400 and refused.value.code == 50035
    assert fake.messages(NEWS) == []


async def test_permissions_by_name_and_code(fake: FakeDiscord, bot: Bot) -> None:
    bare = bot.get_partial_messageable(BARE, guild_id=GUILD)
    fake.set_bot_permissions(BARE, deny=EMBED_LINKS)
    sent = await bare.send("text stays", embed=discord.Embed(title="dropped"))
    assert sent.embeds == [] and fake.messages(BARE)[0]["embeds"] == []  # Discord drops them silently
    with pytest.raises(discord.HTTPException) as empty:
        await bare.send(embed=discord.Embed(title="only an embed"))
    assert empty.value.code == 50006
    fake.set_bot_permissions(BARE, deny=READ_MESSAGE_HISTORY)
    assert [m async for m in bare.history(limit=10)] == []
    fake.set_bot_permissions(BARE, deny=SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as no_send:
        await bare.send("x")
    assert no_send.value.code == 50013
    fake.set_bot_permissions(BARE, deny=VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as no_view:
        await bare.send("x")
    assert no_view.value.code == 50001
    fake.set_bot_permissions(NEWS, deny=MANAGE_WEBHOOKS)
    news = bot.get_channel(NEWS)
    assert isinstance(news, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as no_hooks:
        await news.create_webhook(name="feeds")
    assert no_hooks.value.code == 50013
    assert not news.permissions_for(news.guild.me).manage_webhooks  # discord.py sees the overwrite


async def test_forum_posts_announcements_and_webhooks(fake: FakeDiscord, bot: Bot) -> None:
    forum = bot.get_channel(FORUM_ID)
    assert isinstance(forum, discord.ForumChannel)
    tag = next(t for t in forum.available_tags if t.name == "Sport")
    post = await forum.create_thread(name="Cup final tonight", content="first message", applied_tags=[tag])
    assert post.thread.parent_id == FORUM_ID and post.message.id == post.thread.id
    assert fake.channels[post.thread.id].applied_tags == [str(tag.id)]
    assert fake.messages(post.thread.id)[0]["content"] == "first message"
    with pytest.raises(discord.HTTPException) as not_text:
        await bot.get_partial_messageable(FORUM_ID, guild_id=GUILD).send("x")
    assert not_text.value.code == 50008

    ann = bot.get_channel(ANN)
    assert isinstance(ann, discord.TextChannel) and ann.is_news()
    message = await ann.send("big news")
    await message.publish()
    assert fake.crossposted == [message.id]
    plain = await bot.get_partial_messageable(NEWS, guild_id=GUILD).send("not news")
    with pytest.raises(discord.HTTPException):
        await plain.publish()

    news = bot.get_channel(NEWS)
    assert isinstance(news, discord.TextChannel)
    hook = await news.create_webhook(name="feeds")
    sent = await hook.send("from the feed", username="Harbour Times", wait=True)
    stored = fake.messages(NEWS)[-1]
    assert stored["id"] == str(sent.id) and stored["author"]["username"] == "Harbour Times"
    assert stored["webhook_id"] == str(hook.id)


async def test_only_allowed_mentions_ping(fake: FakeDiscord, bot: Bot) -> None:
    news = bot.get_partial_messageable(NEWS, guild_id=GUILD)
    text = f"<@&{ROLE}> @everyone @here <@42> <@&{ROLE + 1}>"
    msg = await news.send(text, allowed_mentions=discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(ROLE)]))
    stored = fake.messages(NEWS)[-1]
    assert stored["id"] == str(msg.id)
    assert stored["mention_roles"] == [str(ROLE)] and stored["mentions"] == [] and not stored["mention_everyone"]
    await news.send(text)  # no allowed_mentions: everything parsed, @everyone still needs the permission
    stored = fake.messages(NEWS)[-1]
    assert stored["mentions"][0]["id"] == "42" and not stored["mention_everyone"]


async def test_deferred_then_followup_edits_the_original_with_its_visibility(fake: FakeDiscord, bot: Bot) -> None:
    @bot.tree.command(description="Defer ephemerally, then a public-looking follow-up")
    async def quiet(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("answer")  # no ephemeral flag: Discord keeps the defer's

    await bot.tree.sync()
    handle = await fake.invoke("quiet", {}, channel_id=NEWS)
    original = await handle.wait_original(lambda m: m["content"] == "answer")
    assert handle.first_followup_edited and handle.followups == [] and handle.ephemeral
    assert original not in fake.messages(NEWS)


async def test_autocomplete_choices_and_dm_contexts(fake: FakeDiscord, bot: Bot) -> None:
    @bot.tree.command(description="Bad choices")
    @discord.app_commands.guild_only()
    async def pick(interaction: discord.Interaction, value: str) -> None:
        await interaction.response.send_message(value)

    @pick.autocomplete("value")
    async def too_long(interaction: discord.Interaction, current: str) -> list[discord.app_commands.Choice[str]]:
        return [discord.app_commands.Choice(name="x" * 101, value="v")]

    await bot.tree.sync()
    handle = await fake.autocomplete("pick", {"value": "a"}, focused="value", channel_id=NEWS)
    rejection = await handle.wait_rejection()
    assert rejection.status == 400 and rejection.body["code"] == 50035
    with pytest.raises(PermissionError):
        await fake.invoke("pick", {"value": "a"}, dm=True)
    dm = await fake.invoke("echo", {"text": "hi"}, dm=True)  # echo allows DMs
    assert (await dm.response())["data"]["content"] == "hi"


async def test_gateway_rules(fake: FakeDiscord) -> None:
    fake.heartbeat_interval_ms = 200
    fake.identify_interval = 5.0

    async def connect(intents: int, *, heartbeat: bool) -> int | None:
        url = fake.gateway_url + "?v=10&encoding=json"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            hello = json.loads((await ws.receive()).data)
            assert hello["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": "fake-token", "intents": intents,
                                               "properties": {}, "shard": [0, 1]}})
            while True:
                msg = await ws.receive(timeout=5)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return ws.close_code
                payload = json.loads(msg.data)
                if payload.get("op") == 9:
                    return 9
                if heartbeat and payload.get("t") == "READY":
                    return 0

    assert await connect(1 << 30, heartbeat=True) == 4013
    assert await connect(1 << 15, heartbeat=True) == 4014  # message content: privileged, not enabled
    assert await connect(1, heartbeat=False) == 4009  # silent: disconnected after 1.5 intervals
    assert fake.heartbeat_timeouts == 1
    assert await connect(1, heartbeat=True) == 9  # a second IDENTIFY within 5 s: invalid session
    assert fake.identify_refused == 1


async def test_discord_py_keeps_its_connection_by_heartbeating() -> None:
    async with FakeDiscord(heartbeat_interval_ms=150, identify_interval=0) as fake:
        fake.add_channel(GUILD, NEWS)
        async with running_client(fake, Bot()) as client:
            await fake.wait_until(lambda: fake.heartbeat_count >= 4, timeout=10)
            assert fake.heartbeat_timeouts == 0 and client.is_ready()
