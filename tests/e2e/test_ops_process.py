"""The real `newsbot run` in Discord mode, as an operator sees it: health, invite link, clean failures."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

from tests.bot.test_commands import ARTICLE, ROOT, anewsbot
from tests.fake_discord import FakeDiscord
from tests.newsite import NewsSite

GUILD, NEWS = 100, 1000


def write_config(tmp_path: Path, api_base: str, gateway_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndatabase = "news.db"\n[discord]\napi_base = "{api_base}"\ngateway_url = "{gateway_url}"\n'
        "delivery_interval = 0.0\n[net]\nallow_private_addresses = true\nread_timeout = 5.0\n"
        "[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\n"
        "[scheduler]\npoll_check_seconds = 0.2\ndeliver_seconds = 0.2\n", encoding="utf-8")
    return config


async def run_bot(tmp_path: Path, config: Path, token: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({"PYTHONPATH": str(ROOT), "NEWSBOT_DISCORD_TOKEN": token})
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_running_bot_is_healthy_prints_its_invite_and_stops_cleanly(tmp_path):
    async with NewsSite() as site, FakeDiscord() as fake:
        fake.add_channel(GUILD, NEWS, "news")
        site.add_article("a1", "Ferry service resumes", ARTICLE)
        config = write_config(tmp_path, fake.api_base, fake.gateway_url)
        bot = await run_bot(tmp_path, config, "fake-token")
        try:
            result = await anewsbot("status", "--wait", "60", "--json", "-c", str(config), cwd=tmp_path)
            report = json.loads(result.stdout)
            assert result.returncode == 0, result.stdout
            assert report["facts"]["bot"]["mode"] == "discord"
            assert report["facts"]["bot"]["discord"] == "connected"
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(bot.communicate(), 30)
        log = err.decode()
        assert bot.returncode == 0, log[-3000:]
        assert f"client_id={fake.application_id}&scope=bot+applications.commands&permissions=" in log
        assert "Traceback" not in log and "CancelledError" not in log
        assert "PyNaCl" not in log and "davey" not in log


async def test_unreachable_discord_is_one_line_and_nothing_is_polled(tmp_path):
    async with NewsSite() as site:
        site.add_article("a1", "Ferry service resumes", ARTICLE)
        feed = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
        port = closed_port()
        config = write_config(tmp_path, f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}")
        assert (await anewsbot("feeds", "add", feed, "-c", str(config), cwd=tmp_path)).returncode == 0
        probes = len(site.requests)
        bot = await run_bot(tmp_path, config, "fake-token")
        _out, err = await asyncio.wait_for(bot.communicate(), 60)
        lines = [line for line in err.decode().splitlines() if line.startswith("newsbot:")]
        assert bot.returncode == 1
        assert "Traceback" not in err.decode() and "apscheduler" not in err.decode()
        assert len(lines) == 1 and "cannot reach Discord" in lines[0]
        assert len(site.requests) == probes, "no feed is polled before Discord has accepted the login"


async def test_rejected_token_is_one_line_exit_2(tmp_path):
    async with FakeDiscord(valid_tokens={"the-right-one"}) as fake:
        config = write_config(tmp_path, fake.api_base, fake.gateway_url)
        bot = await run_bot(tmp_path, config, "a-wrong-one")
        _out, err = await asyncio.wait_for(bot.communicate(), 60)
    text = err.decode()
    assert bot.returncode == 2, text[-2000:]
    assert "Traceback" not in text
    assert "Discord rejected the token in $NEWSBOT_DISCORD_TOKEN" in text


async def test_status_reports_a_lost_gateway_connection(tmp_path):
    fake = FakeDiscord()
    await fake.start()
    stopped = False
    try:
        fake.add_channel(GUILD, NEWS, "news")
        config = write_config(tmp_path, fake.api_base, fake.gateway_url)
        bot = await run_bot(tmp_path, config, "fake-token")
        try:
            assert (await anewsbot("status", "--wait", "60", "-c", str(config), cwd=tmp_path)).returncode == 0
            await fake.stop()  # Discord goes away; the bot keeps trying to reconnect
            stopped = True
            for _ in range(150):
                result = await anewsbot("status", "--json", "-c", str(config), cwd=tmp_path)
                if result.returncode == 1:
                    break
                await asyncio.sleep(0.2)
            report = json.loads(result.stdout)
            assert result.returncode == 1
            assert report["facts"]["bot"]["running"] is True
            assert report["problems"] == ["Discord: disconnected"]
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, err.decode()[-2000:]
        assert "Traceback" not in err.decode(), err.decode()
    finally:
        if not stopped:
            await fake.stop()
