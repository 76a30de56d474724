"""Console mode through the real `newsbot` process: samples offline, feeds over loopback, kill -9 mid-ingest."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.console import load_samples
from tests.newsite import NewsSite

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, **feeds: object) -> Path:
    feed_lines = "\n".join(f"{k} = {v}" for k, v in feeds.items())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndatabase = "{tmp_path / "news.db"}"\n'
        "[net]\nallow_private_addresses = true\nread_timeout = 5.0\n"
        f"[feeds]\npoll_interval = 1\nmin_poll_interval = 1\njitter = 0\n{feed_lines}\n"
        "[scheduler]\npoll_check_seconds = 0.2\ndeliver_seconds = 0.2\nlease_seconds = 1.0\n",
        encoding="utf-8",
    )
    return config


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k != "NEWSBOT_DISCORD_TOKEN"}
    return {**clean, "PYTHONPATH": str(ROOT)}


async def newsbot(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, str, str]:  # noqa: ASYNC109
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


async def test_samples_are_summarized_offline_once(tmp_path):
    config = write_config(tmp_path)
    code, out, err = await newsbot("run", "--once", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    samples = load_samples()
    assert len(samples) >= 3
    for sample in samples:
        assert f"## {sample.title}" in out
    assert out.count("\n- ") >= 2 * len(samples)
    assert "—" in out  # at least one attributed quote
    assert "min read" in out

    code, out, err = await newsbot("run", "--once", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    assert not any(sample.title in out for sample in samples), "a second run posts nothing twice"


async def test_terminal_feed_management_and_polling(tmp_path, site):
    base = datetime(2026, 11, 20, tzinfo=UTC)
    stories = [
        ("Ferry service resumes on route 0",
         "The island ferry resumed service on Monday after repairs to its engine took three weeks longer "
         "than planned, the operator said.\n\n"
         "\"Passengers have been very patient with us,\" said operator chief Nadia Brook.\n\n"
         "Timetables return to normal from Friday, with extra sailings at weekends."),
        ("Ferry service resumes on route 1",
         "A second vessel joined the northern crossing on Tuesday, doubling capacity for lorries before the "
         "winter freight peak.\n\n"
         "Hauliers had complained of waits of up to six hours at the mainland terminal in November.\n\n"
         "\"This ends the queues,\" said port manager Colin Ashby, who expects 300 lorries a day."),
    ]
    for n, (title, text) in enumerate(stories):
        site.add_article(f"s{n}", title, text, published=base + timedelta(hours=n))
    url = site.set_feed("/ferry.xml", entries=["s1", "s0"], title="Harbour Times")
    config = write_config(tmp_path)
    code, out, err = await newsbot("feeds", "add", url, "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    assert "Harbour Times" in out and "2 entries" in out
    code, out, _ = await newsbot("feeds", "list", "--config", str(config), cwd=tmp_path)
    assert "Harbour Times" in out and "[ok]" in out

    bad = site.url("/hostile/html-as-feed")
    code, _, err = await newsbot("feeds", "add", bad, "--config", str(config), cwd=tmp_path)
    assert code == 1 and "Traceback" not in err and bad in err

    code, out, err = await newsbot("run", "--once", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    assert "## Ferry service resumes on route 0" in out and "## Ferry service resumes on route 1" in out
    assert "Nadia Brook" in out and "Colin Ashby" in out

    code, out, _ = await newsbot("feeds", "remove", url, "--config", str(config), cwd=tmp_path)
    assert code == 0 and "unsubscribed" in out
    code, _, err = await newsbot("feeds", "remove", url, "--config", str(config), cwd=tmp_path)
    assert (code == 1 and "no feed" in err) or "not subscribed" in err


def count_articles(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.1)
        try:
            return int(db.execute("SELECT count(*) FROM articles WHERE url LIKE '%/articles/k%'").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


async def test_kill_9_mid_ingest_loses_nothing_and_stores_nothing_twice(tmp_path, site):
    count = 40
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(count):
        site.add_article(f"k{n}", f"Council report number {n} published",
                         f"The council published report number {n} on Monday, covering {n + 3} schools "
                         f"and {n * 2 + 10} roads in the district of Kelham{n}.\n\n"
                         "Officials said the findings would shape next year's budget and promised a public "
                         "meeting before any decision is taken.\n\n"
                         f"\"We read every one of the {n + 100} responses,\" said councillor Rhea Patel{n}.",
                         published=base + timedelta(hours=n))
    url = site.set_feed("/reports.xml", entries=[f"k{n}" for n in reversed(range(count))], title="Reports")
    config = write_config(tmp_path, first_poll_queue=count)
    code, _, err = await newsbot("feeds", "add", url, "--no-check", "--config", str(config), cwd=tmp_path)
    assert code == 0, err

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), cwd=tmp_path, env=env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    # Kill while the feed is being ingested: some articles stored, the rest in flight or not started.
    stored = 0
    for _ in range(3000):
        stored = count_articles(tmp_path / "news.db")
        if stored >= 3:
            break
        await asyncio.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    first_out = await proc.stdout.read()
    await proc.wait()
    assert stored >= 3
    # The dead process still holds the feed's lease: the next process takes the feed over once it
    # expires (lease_seconds = 1 here), never while it might still be running.
    await asyncio.sleep(1.2)

    code, second_out, err = await newsbot("run", "--once", "--config", str(config), cwd=tmp_path)
    assert code == 0, err

    db = sqlite3.connect(tmp_path / "news.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    urls = [row[0] for row in db.execute("SELECT canonical_url FROM articles WHERE url LIKE '%/articles/k%'")]
    assert len(urls) == count and len(set(urls)) == count, "every article stored exactly once"
    statuses = db.execute(
        "SELECT status, count(*) FROM deliveries WHERE channel_id = 0 GROUP BY status").fetchall()
    per_story = db.execute(
        "SELECT story_id, count(*) FROM deliveries GROUP BY channel_id, story_id HAVING count(*) > 1").fetchall()
    db.close()
    assert per_story == []
    assert dict(statuses).get("pending", 0) == 0
    printed = (first_out.decode(errors="replace") + second_out)
    for n in range(count):
        assert f"Council report number {n} published" in printed, f"report {n} was lost"


async def test_once_prints_every_due_story_not_just_one_batch(tmp_path, site, capsys):
    from bot.app import run_console
    from bot.config import load_settings
    from bot.console import CONSOLE_CHANNEL_ID, CONSOLE_GUILD_ID
    from bot.store import open_store
    from tests.newsite import FeedItem

    count = 105  # the outbox drains 100 a batch; --once used to stop after the first
    items = [FeedItem(guid=f"g{n}", title=f"Notice {n}", content=f"<p>Notice {n} was posted today.</p>",
                      published=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)) for n in range(count)]
    url = site.set_feed("/notices.xml", entries=items)
    settings = load_settings(write_config(tmp_path), environ={})
    settings = dataclasses.replace(settings, bot=dataclasses.replace(settings.bot, console_samples=False))
    store = await open_store(settings.bot.database)
    try:
        feed = await store.add_feed(url, now=datetime.now(UTC))
        await store.subscribe(CONSOLE_GUILD_ID, CONSOLE_CHANNEL_ID, feed.id, now=datetime.now(UTC))
        await store.mark_initialized(feed.id)  # past the first poll: every entry is new
    finally:
        await store.close()
    assert await run_console(settings, once=True) == 0
    out = capsys.readouterr().out
    assert [n for n in range(count) if f"## Notice {n}\n" not in out] == []


async def test_piped_stories_carry_no_terminal_escape_sequences():
    import io

    from bot.console import ConsoleSink

    out = io.StringIO()
    ConsoleSink(out).show("## Title \x1b]0;pwned\x07 with \x1b[31mred\x1b[0m and a tab\there\n- bullet\r\n")
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert text.startswith("## Title ]0;pwned with [31mred[0m and a tab\there\n- bullet\n")


def test_rendered_stories_carry_no_terminal_escape_sequences():
    import io

    from rich.console import Console

    from bot.console import ConsoleSink

    buf = io.StringIO()
    sink = ConsoleSink(console=Console(file=buf, force_terminal=True, width=80))
    sink.show("## Title \x1b]0;pwned\x07\n\n- clear \x1b[2J screen\n")
    text = buf.getvalue()
    assert "]0;pwned" in text and "[2J" in text  # the text is shown ...
    assert "\x1b]0;" not in text and "\x1b[2J" not in text and "\x07" not in text  # ... but not obeyed


async def test_status_line_shows_feeds_due_in_flight_and_stories_stored(tmp_path):
    import io

    from rich.console import Console

    from bot import metrics
    from bot.app import status_line
    from bot.console import ConsoleSink
    from bot.store import open_store

    store = await open_store(tmp_path / "news.db")
    await store.close()
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    sink = ConsoleSink(console=console)
    sink.printed = 1
    metrics.FEEDS_IN_FLIGHT.inc(2)
    try:
        task = asyncio.create_task(status_line(console, str(tmp_path / "news.db"), sink))
        await asyncio.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        metrics.FEEDS_IN_FLIGHT.dec(2)
    shown = buf.getvalue()
    stories = int(metrics.value(metrics.STORIES))
    assert "0 due · 2 in flight · " in shown
    assert f"{stories} {'story' if stories == 1 else 'stories'} stored · 1 printed" in shown
