"""The Prometheus endpoint of a real running bot: off by default, on a loopback port when enabled."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys

import aiohttp

from bot.config import MetricsSettings, Settings
from bot.metrics import serve
from tests.bot.test_commands import ARTICLE, ROOT, anewsbot
from tests.newsite import NewsSite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(text: str, name: str, **labels: str) -> float:
    label = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{label}}}" if label else "")) + r" ([0-9.e+]+)"
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def test_metrics_are_off_by_default():
    assert Settings().metrics.enabled is False
    assert serve(MetricsSettings()) is False


async def test_running_bot_serves_counters_on_loopback(tmp_path):
    port = free_port()
    async with NewsSite() as site:
        site.add_article("a1", "Ferry service resumes", ARTICLE)
        feed = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
        config = tmp_path / "config.toml"
        config.write_text('[bot]\ndatabase = "news.db"\n[net]\nallow_private_addresses = true\n'
                          "[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\n"
                          "[scheduler]\npoll_check_seconds = 0.2\ndeliver_seconds = 0.2\n"
                          f"[metrics]\nenabled = true\nport = {port}\n")
        assert (await anewsbot("feeds", "add", feed, "-c", str(config), cwd=tmp_path)).returncode == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "-c", str(config), cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            assert (await anewsbot("status", "--wait", "60", "-c", str(config), cwd=tmp_path)).returncode == 0
            text = ""
            async with aiohttp.ClientSession() as http:
                for _ in range(150):
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                        text = await response.text()
                    if sample(text, "newsbot_deliveries_total", outcome="delivered") >= 5:
                        break
                    await asyncio.sleep(0.2)
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, err.decode()[-2000:]
    assert f"metrics at http://127.0.0.1:{port}/metrics" in err.decode()
    assert sample(text, "newsbot_polls_total", result="ok") >= 1
    assert sample(text, "newsbot_feed_entries_total") >= 1
    assert sample(text, "newsbot_articles_stored_total") == 5  # four samples and the feed's article
    assert sample(text, "newsbot_stories_stored_total") >= 4
    assert sample(text, "newsbot_deliveries_total", outcome="delivered") == 5
    assert sample(text, "newsbot_poll_seconds_count") >= 1
    assert sample(text, "newsbot_delivery_seconds_count") == 5
    assert "newsbot_deliveries_pending" in text and "newsbot_feeds_in_flight" in text

