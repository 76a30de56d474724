"""The fake Discord driven by the real discord.py client.

These tests prove the fake behaves like Discord where newsbot depends on it,
so other suites can trust a green run against it.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fake_discord import MANAGE_GUILD, FakeDiscord, patch_discord_urls, running_client

GUILD = 81_000_000_000_000_001
NEWS = 81_000_000_000_000_010
LOCKED = 81_000_000_000_000_011
GONE = 81_000_000_000_000_012
DEADLINE = 0.4


class Bot(commands.Bot):
    """A tiny bot exercising the interaction paths newsbot uses."""

    def __init__(self) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         guild_ready_timeout=0.05, help_command=None)
        self.errors: list[Exception] = []
        self.ready_count = 0

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(description="Echo text")
        async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
            await interaction.response.send_message(" ".join([text] * times),
                                                    allowed_mentions=discord.AllowedMentions.none())

        @tree.command(description="Defer then follow up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="working")
            await interaction.followup.send("done")

        @tree.command(description="Answers after the deadline")
        async def late(interaction: discord.Interaction) -> None:
            await asyncio.sleep(DEADLINE + 0.2)
            try:
                await interaction.response.send_message("too late")
            except discord.HTTPException as exc:
                self.errors.append(exc)

        feed = app_commands.Group(name="feed", description="Manage feeds",
                                  default_permissions=discord.Permissions(manage_guild=True))

        @feed.command(name="add", description="Add a feed")
        async def feed_add(interaction: discord.Interaction, url: str, channel: discord.TextChannel) -> None:
            await interaction.response.send_message(f"added {url} to {channel.id}", ephemeral=True)

        @feed_add.autocomplete("url")
        async def url_choices(
            interaction: discord.Interaction, current: str,
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=u, value=u) for u in ("https://a.example", "https://b.example")
                    if current in u]

        tree.add_command(feed)

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause between IDENTIFYs (the fakes here allow it: identify_interval=0)."""


class ShardedBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """As in :class:`Bot`: no 5 s wait between shards."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(interaction_deadline=DEADLINE, identify_interval=0) as server:
        server.add_channel(GUILD, NEWS, "news")
        server.add_channel(GUILD, LOCKED, "locked", can_send=False)
        server.add_channel(GUILD, GONE, "gone")
        server.delete_channel(GONE)
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    async with running_client(fake, Bot()) as client:
        await client.tree.sync()
        yield client
    assert fake.unexpected_requests == [], "bot called routes the fake does not know"


def channel(bot: Bot, channel_id: int) -> Any:
    return bot.get_partial_messageable(channel_id, guild_id=GUILD)


async def test_login_ready_and_guild_cache(fake: FakeDiscord, bot: Bot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_id
    guild = bot.get_guild(GUILD)
    assert guild is not None and not guild.unavailable
    assert {c.name for c in guild.text_channels} == {"news", "locked"}
    locked = guild.get_channel(LOCKED)
    assert isinstance(locked, discord.TextChannel)
    assert not locked.permissions_for(guild.me).send_messages
    assert fake.identify_count == 1 and fake.connected.is_set()
    assert fake.identify_payloads[0]["intents"] == discord.Intents.default().value
    assert fake.gateway_connections[0][1]["compress"] == "zlib-stream"


def test_url_patch_restores_globals() -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    with patch_discord_urls("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/gateway"):
        assert Route.BASE == "http://127.0.0.1:1/api/v10"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_sync_registers_commands(fake: FakeDiscord, bot: Bot) -> None:
    names = {c["name"] for c in fake.global_commands()}
    assert names == {"echo", "slow", "late", "feed"}
    feed = next(c for c in fake.commands if c["name"] == "feed")
    assert feed["default_member_permissions"] == str(MANAGE_GUILD)
    synced = await bot.tree.sync()  # bulk overwrite keeps ids stable
    assert {c.id for c in synced} == {int(c["id"]) for c in fake.global_commands()}


async def test_slash_command_with_options(fake: FakeDiscord, bot: Bot) -> None:
    handle = await fake.invoke("echo", {"text": "hi", "times": 2}, channel_id=NEWS)
    response = await handle.response()
    assert response["type"] == 4 and response["data"]["content"] == "hi hi"
    assert fake.messages(NEWS)[-1]["content"] == "hi hi"
    assert fake.allowed_mentions[int(handle.original["id"])]["parse"] == []  # type: ignore[index]


async def test_subcommand_autocomplete_and_permissions(fake: FakeDiscord, bot: Bot) -> None:
    with pytest.raises(PermissionError):
        await fake.invoke("feed add", {"url": "u", "channel": NEWS})
    auto = await fake.autocomplete("feed add", {"url": "b."}, focused="url", permissions=MANAGE_GUILD)
    await auto.response()
    assert auto.choices == [{"name": "https://b.example", "value": "https://b.example"}]
    handle = await fake.invoke("feed add", {"url": "https://a.example", "channel": NEWS},
                               permissions=MANAGE_GUILD)
    original = await handle.wait_original()
    assert original["content"] == f"added https://a.example to {NEWS}" and handle.ephemeral
    assert all(m["id"] != original["id"] for m in fake.messages(NEWS))


async def test_defer_edit_and_followup(fake: FakeDiscord, bot: Bot) -> None:
    handle = await fake.invoke("slow")
    assert (await handle.response())["type"] == 5
    await handle.wait_followups(1)
    assert handle.contents == ["working", "done"]


async def test_late_reply_is_unknown_interaction(fake: FakeDiscord, bot: Bot) -> None:
    handle = await fake.invoke("late")
    rejection = await handle.wait_rejection(timeout=5)
    assert rejection.status == 404 and rejection.body["code"] == 10062
    await fake.wait_until(lambda: bool(bot.errors))
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    assert not handle.acknowledged


async def test_second_callback_is_already_acknowledged(fake: FakeDiscord, bot: Bot) -> None:
    handle = await fake.invoke("echo", {"text": "once"})
    await handle.response()
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(Route("POST", "/interactions/{i}/{t}/callback", i=handle.id, t=handle.token),
                               json={"type": 4, "data": {"content": "twice"}})
    assert info.value.code == 40060


async def test_embed_limits(fake: FakeDiscord, bot: Bot) -> None:
    target = channel(bot, NEWS)
    with pytest.raises(discord.HTTPException) as info:
        await target.send(embed=discord.Embed(title="t" * 257))
    assert info.value.status == 400 and info.value.code == 50035
    with pytest.raises(discord.HTTPException) as info:
        await target.send(embeds=[discord.Embed(description="d" * 4000) for _ in range(2)])
    assert info.value.code == 50035
    fits = discord.Embed(title="t" * 256, description="d" * 4096)
    for i in range(3):
        fits.add_field(name=f"f{i}", value="v" * 500)
    msg = await target.send(embed=fits)
    assert fake.messages(NEWS)[-1]["id"] == str(msg.id)
    with pytest.raises(discord.HTTPException) as info:
        await target.send(content="x" * 2001)
    assert info.value.code == 50035
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(Route("POST", "/channels/{c}/messages", c=NEWS), json={"content": ""})
    assert info.value.code == 50006


async def test_rate_limit_and_server_error_are_retried(fake: FakeDiscord, bot: Bot) -> None:
    fake.fail_next("POST", f"/channels/{NEWS}/messages", 429, retry_after=0.2)
    msg = await channel(bot, NEWS).send("after 429")
    posts = fake.requests_to("POST", f"/channels/{NEWS}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].time - posts[0].time >= 0.2
    fake.fail_next("POST", "/channels/*/messages", 500)
    msg2 = await channel(bot, NEWS).send("after 500")
    assert [m["id"] for m in fake.messages(NEWS)] == [str(msg.id), str(msg2.id)]


async def test_forbidden_and_unknown_channels(fake: FakeDiscord, bot: Bot) -> None:
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel(bot, LOCKED).send("nope")
    assert forbidden.value.code == 50013
    with pytest.raises(discord.NotFound) as missing:
        await channel(bot, GONE).send("nope")
    assert missing.value.code == 10003
    assert fake.messages(LOCKED) == [] and fake.messages(GONE) == []


async def test_nonce_dedup_returns_original(fake: FakeDiscord, bot: Bot) -> None:
    first = await channel(bot, NEWS).send("story", nonce="item-42")
    again = await channel(bot, NEWS).send("story", nonce="item-42")
    assert first.id == again.id and len(fake.messages(NEWS)) == 1
    other = await channel(bot, NEWS).send("other", nonce="item-43")
    assert other.id != first.id


async def test_threads_edit_delete(fake: FakeDiscord, bot: Bot) -> None:
    msg = await channel(bot, NEWS).send("digest")
    thread = await bot.http.start_thread_with_message(NEWS, msg.id, name="Discuss",
                                                      auto_archive_duration=1440)
    assert int(thread["id"]) == msg.id and thread["parent_id"] == str(NEWS)
    posted = await channel(bot, int(thread["id"])).send("in thread")
    await fake.wait_for_message(int(thread["id"]), lambda m: m["content"] == "in thread")
    await posted.edit(content="edited")
    assert fake.messages(int(thread["id"]))[0]["content"] == "edited"
    await posted.delete()
    assert fake.messages(int(thread["id"])) == []


async def test_reconnect_resumes_and_replays(fake: FakeDiscord, bot: Bot) -> None:
    fake.hold_gateway()  # keep the bot offline until the missed event is queued
    fake.request_reconnect()
    await fake.wait_until(lambda: fake.sessions[0].conn is None)
    handle = await fake.invoke("echo", {"text": "missed"})
    fake.release_gateway()
    await fake.wait_until(lambda: fake.resume_count == 1)
    assert (await handle.response())["data"]["content"] == "missed"
    assert fake.identify_count == 1 and fake.replayed_count >= 1
    assert fake.gateway_connections[-1][0] == "/gateway/resume"
    after = await fake.invoke("echo", {"text": "still here"})
    assert (await after.response())["data"]["content"] == "still here"


async def test_invalidated_session_identifies_again(fake: FakeDiscord, bot: Bot) -> None:
    fake.invalidate_session()
    await fake.wait_until(lambda: fake.identify_count == 2 and fake.connected.is_set())
    handle = await fake.invoke("echo", {"text": "back"})
    assert (await handle.response())["data"]["content"] == "back"


async def test_sharded_identify_splits_guilds() -> None:
    other = (1 << 22) | 5  # lands on shard 1 of 2
    async with FakeDiscord(shard_count=2, identify_interval=0) as fake:
        fake.add_channel(GUILD & ~(1 << 22), NEWS)  # shard 0
        fake.add_channel(other, LOCKED)
        client = ShardedBot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        async with running_client(fake, client):
            assert client.shard_count == 2
            assert {s.shard[0] for s in fake.sessions} == {0, 1}
            assert client.get_guild(other) is not None and client.get_guild(other).shard_id == 1  # type: ignore[union-attr]


async def test_unknown_route_is_recorded(fake: FakeDiscord, bot: Bot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/nothing/here"))
    assert [r.path for r in fake.unexpected_requests] == ["/nothing/here"]
    fake.unexpected_requests.clear()


async def test_expired_token_and_file_upload(fake: FakeDiscord, bot: Bot) -> None:
    handle = await fake.invoke("echo", {"text": "x"})
    await handle.response()
    fake.token_lifetime = 0.0  # pretend 15 minutes passed
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(Route("POST", "/webhooks/{a}/{t}", a=fake.application_id, t=handle.token),
                               json={"content": "too late"})
    assert info.value.status == 401 and info.value.code == 50027
    msg = await channel(bot, NEWS).send("report", file=discord.File(io.BytesIO(b"abc"), "report.txt"))
    stored = fake.messages(NEWS)[-1]
    assert stored["id"] == str(msg.id) and stored["attachments"][0]["filename"] == "report.txt"
    assert stored["attachments"][0]["size"] == 3


async def test_dropped_connection_resumes(fake: FakeDiscord, bot: Bot) -> None:
    await fake.drop_connections(code=4000)
    await fake.wait_until(lambda: fake.resume_count == 1)
    handle = await fake.invoke("echo", {"text": "alive"})
    assert (await handle.response())["data"]["content"] == "alive"
