"""`newsbot status` on a PostgreSQL database, through the real CLI: the readiness check and HEALTHCHECK of a
PostgreSQL deployment (deploy/, compose.yaml) run exactly this."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bot import metrics
from bot.status import heartbeat_value, write_heartbeats
from bot.store.health import HEARTBEAT_KEY
from bot.store.postgres.migrate import load_migrations
from bot.store.postgres.store import PostgresStore
from tests.bot.test_commands import ARTICLE, ROOT, anewsbot
from tests.bot.test_status import write_config
from tests.newsite import NewsSite


def pg_env(url: str) -> dict[str, str]:
    return {"NEWSBOT_BOT__DATABASE": url}


async def set_heartbeat(url: str, value: str) -> None:
    store = await PostgresStore.open(url, pool_size=1)
    try:
        await store.set_meta(HEARTBEAT_KEY, value)
    finally:
        await store.close()


async def test_status_of_a_running_bot_on_postgres_then_sigterm(tmp_path: Path, pg_url: str) -> None:
    async with NewsSite() as site:
        site.add_article("a1", "Ferry service resumes", ARTICLE)
        feed = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
        cfg = write_config(tmp_path)
        added = await anewsbot("feeds", "add", feed, "-c", str(cfg), cwd=tmp_path, env=pg_env(pg_url))
        assert added.returncode == 0, added.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "-c", str(cfg), cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT), **pg_env(pg_url)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            result = await anewsbot("status", "--wait", "60", "-c", str(cfg), cwd=tmp_path, env=pg_env(pg_url))
            assert result.returncode == 0, result.stdout + result.stderr
            assert result.stdout.startswith(f"newsbot: healthy\ndatabase: {pg_url}\n")
            assert "console mode" in result.stdout and "1 feed subscribed" in result.stdout
            for _ in range(100):  # the poll and the delivery show once they have happened
                result = await anewsbot("status", "--json", "-c", str(cfg), cwd=tmp_path, env=pg_env(pg_url))
                report = json.loads(result.stdout)
                if report["facts"]["last_successful_poll"] and report["facts"]["last_delivery"]:
                    break
                await asyncio.sleep(0.2)
            assert result.returncode == 0 and report["healthy"] is True, report
            assert report["schema_version"] == report["schema_latest"] == len(load_migrations())
            assert report["facts"]["bot"]["running"] is True and report["facts"]["bot"]["pid"] == proc.pid
            assert report["facts"]["feeds"]["subscribed"] == 1 and report["facts"]["feeds"]["failing"] == []
            assert report["facts"]["deliveries"] == {"pending": 0, "overdue": 0, "given_up": 0}
            for when in (report["facts"]["last_successful_poll"], report["facts"]["last_delivery"]):
                assert datetime.now(UTC) - datetime.fromisoformat(when) < timedelta(minutes=5)
        finally:
            proc.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0 and "Traceback" not in err.decode(), err.decode()[-2000:]
        stopped = await anewsbot("status", "-c", str(cfg), cwd=tmp_path, env=pg_env(pg_url))
        assert stopped.returncode == 1 and "problem: newsbot was stopped" in stopped.stdout


async def test_heartbeats_decide_health_on_postgres(tmp_path: Path, pg_url: str) -> None:
    async def status(*args: str) -> tuple[int, str]:
        result = await anewsbot("status", *args, cwd=tmp_path, env=pg_env(pg_url))
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode, result.stdout

    code, out = await status()
    assert code == 1 and "problem: no running newsbot has written a heartbeat" in out
    assert f"schema: version {len(load_migrations())} (this newsbot: {len(load_migrations())})" in out
    assert "0 feeds subscribed" in out and "0 pending" in out

    now = datetime.now(UTC)  # this test's own process stands in for the bot: alive, on this host
    await set_heartbeat(pg_url, heartbeat_value("console", None, now=now))
    code, out = await status()
    assert (code, out.splitlines()[0]) == (0, "newsbot: healthy"), out
    code, out = await status("--json")
    assert code == 0 and json.loads(out)["facts"]["bot"]["pid"] == os.getpid()

    await set_heartbeat(pg_url, heartbeat_value("discord", "connected", now=now - timedelta(minutes=10)))
    code, out = await status("--json")
    report = json.loads(out)
    assert code == 1 and report["healthy"] is False and report["facts"]["bot"]["running"] is False
    assert report["problems"][0].startswith("the last heartbeat is 10 minutes old")

    await set_heartbeat(pg_url, heartbeat_value("discord", "disconnected", now=datetime.now(UTC)))
    code, out = await status()
    assert code == 1 and "problem: Discord: disconnected" in out


async def test_empty_or_unreachable_postgres_is_a_clear_unhealthy_answer(tmp_path: Path, pg_empty_url: str) -> None:
    result = await anewsbot("status", cwd=tmp_path, env=pg_env(pg_empty_url))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"problem: {pg_empty_url} has no newsbot schema yet (start the bot once to create it)" in result.stdout
    conn = await asyncpg.connect(pg_empty_url)
    try:  # read-only: status created nothing, not even the migrations' version table
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()

    gone = f"postgresql://newsbot:s3cret@/newsbot?host={tmp_path / 'no-server-here'}"
    result = await anewsbot("status", "--json", cwd=tmp_path, env=pg_env(gone))
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["healthy"] is False and "Traceback" not in result.stderr
    assert report["problems"][0].startswith("cannot connect to the database postgresql://newsbot:***@/newsbot")
    assert "s3cret" not in result.stdout


async def test_heartbeats_refresh_the_queue_depth_gauges_on_postgres(pg_url: str) -> None:
    store = await PostgresStore.open(pg_url, pool_size=2)
    try:
        now = datetime.now(UTC)
        feed = await store.add_feed("https://news.example/feed.xml", now=now - timedelta(minutes=1))
        await store.subscribe(1, 2, feed.id, now=now)
        metrics.FEEDS_DUE.set(-1)
        beats = asyncio.create_task(write_heartbeats(store, "console", lambda: None, database=pg_url))
        try:
            for _ in range(100):
                if metrics.value(metrics.FEEDS_DUE) != -1:
                    break
                await asyncio.sleep(0.05)
            assert metrics.value(metrics.FEEDS_DUE) == 1
            assert json.loads(await store.get_meta(HEARTBEAT_KEY) or "{}")["mode"] == "console"
        finally:
            beats.cancel()
            await asyncio.gather(beats, return_exceptions=True)
        assert json.loads(await store.get_meta(HEARTBEAT_KEY) or "{}")["stopped"] is True
    finally:
        await store.close()
