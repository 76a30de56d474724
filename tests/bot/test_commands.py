"""Errors that name their fix, through the real `newsbot` process: one line on stderr, never a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.newsite import NewsSite

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = (
    "LONDON (Reuters) - The city's tram network will add 14 new stops by 2028 under a plan approved on "
    "Wednesday, transport officials said.\n\n"
    "The extension, costing 210 million pounds, links the eastern estates to the hospital and the "
    "university for the first time.\n\n"
    "\"People in the east have waited long enough for a fast way into the centre,\" said transport "
    "commissioner Priya Natarajan.\n\n"
    "Work on the first section begins in the spring."
)


def newsbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=full)


async def anewsbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The same, while this event loop keeps serving the loopback site."""
    return await asyncio.to_thread(newsbot, *args, cwd=cwd, env=env)


def one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


def config(tmp_path: Path, *, private: bool) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\ndatabase = "news.db"\n[net]\nallow_private_addresses = {str(private).lower()}\n'
                    "read_timeout = 5.0\n")
    return path


async def test_private_address_names_the_setting(tmp_path, site):
    url = site.set_feed("/feed.xml", entries=[], title="Local")
    result = await anewsbot("feeds", "add", url, "-c", str(config(tmp_path, private=False)), cwd=tmp_path)
    assert result.returncode == 1
    line = one_clean_line(result)
    assert "private" in line and "net.allow_private_addresses" in line


async def test_feeds_add_follows_a_page_to_its_feed_and_twice_is_already_subscribed(tmp_path, site):
    site.add_article("a1", "Ferry service resumes", ARTICLE)
    feed = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
    page = site.set_raw("/home", (
        '<!DOCTYPE html><html><head><title>Harbour</title><link rel="alternate" type="application/rss+xml" '
        f'href="{feed}"></head><body><p>Welcome</p></body></html>').encode(), "text/html")
    cfg = str(config(tmp_path, private=True))
    result = await anewsbot("feeds", "add", page, "-c", cfg, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"following the feed it links to: {feed}" in result.stdout
    assert "Harbour Times with 1 entry\n" in result.stdout  # singular
    assert f"subscribed the terminal to feed 1: {feed}" in result.stdout

    for again in (feed, page):
        result = await anewsbot("feeds", "add", again, "-c", cfg, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"already subscribed to feed 1: {feed}" in result.stdout
        assert "subscribed the terminal" not in result.stdout


async def test_internal_samples_feed_is_not_listed(tmp_path, site):
    cfg = str(config(tmp_path, private=True))
    assert (await anewsbot("run", "--once", "-c", cfg, cwd=tmp_path)).returncode == 0  # stores the samples
    result = await anewsbot("feeds", "list", "-c", cfg, cwd=tmp_path)
    assert "newsbot.invalid" not in result.stdout and "samples" not in result.stdout
    assert "no feeds yet" in result.stdout
    result = await anewsbot("feeds", "list", "--json", "-c", cfg, cwd=tmp_path)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"  \n\n "), "is empty"),
        (lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4), "binary"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
)
def test_summarize_refuses_unusable_files(tmp_path, make, message):
    target = tmp_path / "input"
    make(target)
    result = newsbot("summarize", str(target), cwd=tmp_path)
    assert result.returncode == 1
    assert message in one_clean_line(result)
    assert result.stdout == ""


async def test_summarize_of_a_feed_url_says_so_without_extractor_noise(tmp_path, site):
    site.add_article("a1", "Ferry service resumes", ARTICLE)
    feed = site.set_feed("/ferry.xml", entries=["a1"], title="Harbour Times")
    result = await anewsbot("summarize", feed, "-c", str(config(tmp_path, private=True)), cwd=tmp_path)
    assert result.returncode == 1
    line = one_clean_line(result)  # no trafilatura log lines
    assert "is a feed, not an article" in line and f"newsbot feeds add {feed}" in line


def test_plain_text_headline_is_kept(tmp_path):
    article = tmp_path / "tram.txt"
    article.write_text("Tram network to grow by 14 stops\n\n" + ARTICLE)
    result = newsbot("summarize", str(article), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Tram network to grow by 14 stops\n")
    assert "Tram network to grow" not in result.stdout.split("\n", 1)[1]  # a title, not a bullet
    assert "— Priya Natarajan" in result.stdout  # the speaker on the quote's line, not wrapped apart


def test_config_errors_all_at_once_with_did_you_mean(tmp_path):
    (tmp_path / "config.toml").write_text("[feeds]\npoll_intervall = 3\n[bot]\nlog_level = 'LOUD'\n")
    result = newsbot("check-config", cwd=tmp_path, env={"NEWSBOT_NET__READ_TIMEOUT": "soon"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith("newsbot: configuration error: ") for line in lines)
    assert "did you mean 'poll_interval'?" in result.stderr
    assert "$NEWSBOT_NET__READ_TIMEOUT must be a finite number" in result.stderr


def test_environment_overrides_reach_the_running_command(tmp_path):
    (tmp_path / "config.toml").write_text('[bot]\ndatabase = "from-file.db"\n')
    result = newsbot("run", "--once", cwd=tmp_path,
                     env={"NEWSBOT_BOT__DATABASE": str(tmp_path / "from-env.db"),
                          "NEWSBOT_BOT__CONSOLE_SAMPLES": "false"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").exists() and not (tmp_path / "from-file.db").exists()
    assert result.stdout == ""  # samples switched off by the variable


def test_relative_database_follows_the_config_not_the_working_directory(tmp_path):
    srv = tmp_path / "srv"
    srv.mkdir()
    (srv / "config.toml").write_text('[bot]\ndatabase = "data/news.db"\nconsole_samples = false\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = newsbot("run", "--once", "-c", str(srv / "config.toml"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (srv / "data" / "news.db").exists()
    assert list(elsewhere.iterdir()) == []
    assert f"database {srv / 'data' / 'news.db'} open" in result.stderr  # the full path, once
    assert result.stderr.count("open at schema version") == 1


async def test_ctrl_c_while_waiting_on_a_site_exits_130_without_a_traceback(tmp_path):
    connected = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # never answers
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feeds", "add", f"http://127.0.0.1:{port}/feed.xml",
        "-c", str(config(tmp_path, private=True)), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await asyncio.wait_for(connected.wait(), 60)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        server.close()
    assert proc.returncode == 130
    assert err.decode() == "" and out.decode() == ""
