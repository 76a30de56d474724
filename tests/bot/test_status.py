"""`newsbot status` against a real running console-mode bot, and its unhealthy answers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.status import check, heartbeat_value, render_text
from tests.bot.test_commands import ARTICLE, ROOT, anewsbot, newsbot
from tests.newsite import NewsSite


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[bot]\ndatabase = "news.db"\nconsole_samples = false\n'
                    "[net]\nallow_private_addresses = true\nread_timeout = 5.0\n"
                    "[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\n"
                    "[scheduler]\npoll_check_seconds = 0.2\ndeliver_seconds = 0.2\n")
    return path


async def test_status_of_a_running_bot_then_sigterm_is_clean(tmp_path):
    async with NewsSite() as site:
        site.add_article("a1", "Ferry service resumes", ARTICLE)
        good = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
        bad = site.set_feed("/gone.xml", entries=[], title="Gone")
        cfg = write_config(tmp_path)
        for url in (good, bad):
            assert (await anewsbot("feeds", "add", url, "-c", str(cfg), cwd=tmp_path)).returncode == 0
        site.remove("/gone.xml")

        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "-c", str(cfg), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            result = await anewsbot("status", "--wait", "60", "-c", str(cfg), cwd=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert result.stdout.startswith("newsbot: healthy\n")
            assert "console mode" in result.stdout
            for _ in range(100):  # the failing feed shows once it has been polled
                result = await anewsbot("status", "--json", "-c", str(cfg), cwd=tmp_path)
                report = json.loads(result.stdout)
                if report["facts"]["feeds"]["failing"] and report["facts"]["last_delivery"]:
                    break
                await asyncio.sleep(0.2)
            assert result.returncode == 0 and report["healthy"] is True
            assert report["schema_version"] == report["schema_latest"]
            assert report["facts"]["bot"]["running"] is True and report["facts"]["bot"]["mode"] == "console"
            assert report["facts"]["feeds"]["subscribed"] == 2
            [failing] = report["facts"]["feeds"]["failing"]
            assert failing["url"] == bad and "404" in failing["reason"]
            assert report["facts"]["last_successful_poll"] and report["facts"]["last_delivery"]
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert "Traceback" not in err.decode() and "CancelledError" not in err.decode()
        assert "Ferry service resumes" in out.decode()
        stopped = await anewsbot("status", "-c", str(cfg), cwd=tmp_path)
        assert stopped.returncode == 1 and "problem: newsbot was stopped" in stopped.stdout


async def test_sigint_is_as_clean_as_sigterm(tmp_path):
    cfg = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "-c", str(cfg), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert (await anewsbot("status", "--wait", "60", "-c", str(cfg), cwd=tmp_path)).returncode == 0
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "Traceback" not in err.decode() and "KeyboardInterrupt" not in err.decode()
    assert "newsbot was stopped" in (await anewsbot("status", "-c", str(cfg), cwd=tmp_path)).stdout


async def test_a_killed_bot_is_not_reported_running(tmp_path):
    cfg = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "-c", str(cfg), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    assert (await anewsbot("status", "--wait", "60", "-c", str(cfg), cwd=tmp_path)).returncode == 0
    proc.kill()
    await proc.wait()
    result = await anewsbot("status", "-c", str(cfg), cwd=tmp_path)
    assert result.returncode == 1
    assert f"problem: newsbot (pid {proc.pid}) is no longer running" in result.stdout


def test_unhealthy_answers_exit_1(tmp_path):
    result = newsbot("status", cwd=tmp_path)
    assert result.returncode == 1 and "no database at" in result.stdout and "Traceback" not in result.stderr

    (tmp_path / "config.toml").write_text('[bot]\ndatabase = "news.db"\nconsole_samples = false\n')
    assert newsbot("run", "--once", cwd=tmp_path).returncode == 0
    result = newsbot("status", cwd=tmp_path)
    assert result.returncode == 1
    assert "no running newsbot has written a heartbeat" in result.stdout
    assert "0 feeds subscribed" in result.stdout and "0 pending" in result.stdout

    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    result = newsbot("status", "--json", cwd=tmp_path, env={"NEWSBOT_BOT__DATABASE": str(tmp_path / "junk.db")})
    assert result.returncode == 1 and json.loads(result.stdout)["healthy"] is False


def test_stale_heartbeat_disconnected_discord_and_overdue_deliveries_are_unhealthy(tmp_path):
    (tmp_path / "config.toml").write_text('[bot]\ndatabase = "news.db"\n')
    assert newsbot("run", "--once", cwd=tmp_path).returncode == 0  # samples: 1 story delivered
    db_path = str(tmp_path / "news.db")
    now = datetime.now(UTC)

    def beat(at: datetime, discord: str | None, mode: str = "discord") -> None:
        db = sqlite3.connect(db_path)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('heartbeat', ?)",
                   (heartbeat_value(mode, discord, now=at),))
        db.commit()
        db.close()

    beat(now, "connected")
    assert check(db_path, now=now).healthy
    beat(now - timedelta(minutes=10), "connected")
    status = check(db_path, now=now)
    assert not status.healthy and "the last heartbeat is 10 minutes old" in status.problems[0]
    beat(now, "disconnected")
    assert check(db_path, now=now).problems == ("Discord: disconnected",)
    beat(now, None, mode="console")
    db = sqlite3.connect(db_path)
    db.execute("UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE id = 1",
               ((now - timedelta(hours=1)).isoformat(timespec="microseconds"),))
    db.commit()
    db.close()
    status = check(db_path, now=now)
    assert status.problems == ("1 delivery overdue by more than 15 minutes (is Discord reachable?)",)
    assert "deliveries: 1 pending (1 overdue)" in render_text(status, now=now)
