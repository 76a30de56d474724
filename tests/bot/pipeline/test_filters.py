"""Include/exclude filters: keyword and regex syntax, and refusal of hostile patterns."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.pipeline.filters import MAX_PATTERN_CHARS, matches, validate_filter


@pytest.mark.parametrize(("include", "exclude", "text", "expected"), [
    (None, None, "anything", True),
    ("", "  ", "anything", True),
    ("election", None, "The ELECTION results", True),
    ("election", None, "Elections are coming", False),  # whole words only
    ("ai", None, "He said so", False),
    ("ai, climate", None, "New climate report", True),
    ("white house", None, "At the White\n House today", True),  # spaces match any whitespace
    (None, "sport", "Sport: results", False),
    (None, "sport", "Transport news", True),
    ("election", "local", "Local election", False),  # exclude wins
    ("/foot-?ball/", None, "FOOTBALL final", True),  # regexes are case-insensitive
    ("/^breaking/i", None, "Breaking: x", True),
    ("/^breaking/", None, "Not breaking", False),
    ("c++", None, "Learning C++ today", True),  # keywords are literal, not regex
    ("/(a+)+$/", None, "aaaa", False),  # an invalid include lets nothing through
    (None, "/(a+)+$/", "aaaa", True),  # an invalid exclude keeps nothing out
])
def test_matches(include: str | None, exclude: str | None, text: str, expected: bool) -> None:
    assert matches(include, exclude, text) is expected


@pytest.mark.parametrize("expr", ["election", "a, b ,c", "/foo|bar/", "/^x\\d{1,4}$/i", "/(?:ab)+c/",
                                  "/(a|b)*c/", "/[a-z]+ news/", ""])
def test_valid_filters(expr: str) -> None:
    assert validate_filter(expr) is None


@pytest.mark.parametrize(("expr", "message"), [
    ("/(a+)+/", "repeats something that itself repeats"),
    ("/(\\w*)*$/", "repeats something that itself repeats"),
    ("/((ab)*c)+/", "repeats something that itself repeats"),
    ("/(x{1,5})+/", "repeats something that itself repeats"),
    ("/(?=(a+)+)b/", "repeats something that itself repeats"),
    ("/" + "a" * (MAX_PATTERN_CHARS + 1) + "/", "limit is 200"),
    ("/(unclosed/", "not valid"),
    ("//", "empty"),
    ("/(a)\\1/", "back-references"),
    (", ,", "at least one keyword"),
    (",".join(f"k{i}" for i in range(60)), "too many"),
])
def test_invalid_filters(expr: str, message: str) -> None:
    error = validate_filter(expr)
    assert error is not None and message in error


def test_huge_text_is_capped_and_fast() -> None:
    text = "a" * 1_000_000 + " election"
    started = time.perf_counter()
    assert not matches("election", None, text)  # beyond the cap: title + bullets are what counts
    assert matches("/a{3}/", None, text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("expr", ["/(a|a)*$/", "/(a|aa)+$/", "/(.*a){10}b/", "/(\\w|\\d)+$/", "/(.*a){20}/"])
def test_backtracking_regexes_are_refused_quickly(expr: str) -> None:
    """Overlapping alternatives and stacked wildcards backtrack exponentially (or as n**10) without any
    nested quantifier: the static check misses them, the timed probes do not."""
    started = time.perf_counter()
    assert validate_filter(expr) is not None
    assert not matches(expr, None, "a" * 3000 + "!")
    assert time.perf_counter() - started < 2


def test_matching_is_bounded_even_for_a_stored_hostile_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter stored before the rules tightened (or one the probes miss) is cut off by the time limit:
    an include that runs out of time lets nothing in, an exclude that does keeps nothing out."""
    import bot.pipeline.filters as filters

    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)
    filters._compile.cache_clear()
    try:
        text = "a" * 60 + "!"
        started = time.perf_counter()
        assert not matches("/(a|aa)+$/", None, text)
        assert matches(None, "/(a|a)*$/", text)
        assert time.perf_counter() - started < 2
    finally:
        filters._compile.cache_clear()


@pytest.mark.parametrize("expr", ["/(.*?,){10}P/", "/(.*?;){8}x/"])
def test_patterns_slow_on_their_own_punctuation_are_refused_with_a_reason(expr: str) -> None:
    """`/(.*?,){10}P/` has no nested repeat and is quick on letters, but a run of commas makes it try
    C(n, 10) splits: the probes are built from the pattern's own characters, punctuation included."""
    error = validate_filter(expr)
    assert error is not None and "takes too long" in error


def test_check_reports_which_filter_ran_out_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.pipeline.filters as filters

    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)
    filters._compile.cache_clear()
    try:
        commas = "," * 3000
        slow = "/(.*?,){10}P/"
        assert filters.check(slow, None, commas) == filters.Verdict(False, slow, filters.TIMED_OUT)
        assert filters.check(None, slow, commas) == filters.Verdict(True, slow, filters.TIMED_OUT)
        assert filters.check("ai", None, "ai news") == filters.Verdict(True)
    finally:
        filters._compile.cache_clear()


async def test_a_filter_that_times_out_does_not_stall_the_event_loop_and_is_reported(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 subscriptions whose stored include filter runs out of time on every story (stored before the
    probes refused it): storing one story costs 40 timeouts of regex work. That work runs in a worker
    thread with the GIL released, before the write transaction, so the loop keeps turning meanwhile;
    and the guild hears about it instead of losing the story silently."""
    import sqlite3
    from datetime import UTC, datetime

    import bot.pipeline.filters as filters
    from bot.store import open_store
    from tests.bot.store.test_store import make_article

    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)  # as if stored before the probes
    filters._compile.cache_clear()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    store = await open_store(tmp_path / "filters.db")
    try:
        feed = await store.add_feed("https://commas.example/rss", now=now)
        for n in range(40):
            await store.subscribe(7, 7000 + n, feed.id, now=now)
        await store.subscribe(7, 6999, feed.id, now=now)  # no filter: gets the story
        db = sqlite3.connect(store.path)
        db.execute("UPDATE subscriptions SET include = '/(.*?,){10}P/' WHERE channel_id >= 7000")
        db.commit()
        db.close()
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        before = ticks
        stored = await store.add_article(make_article(feed.id, 1, title="," * 1500), story_id=None, now=now)
        during = ticks - before
        stop.set()
        await beat
        assert stored is not None and len(stored.deliveries) == 1  # only the unfiltered channel
        # 40 timeouts of MATCH_TIMEOUT each: inline on the loop this was zero ticks for the whole call.
        assert during >= 20, f"the event loop turned only {during} times while the filters ran"
        [notice] = await store.take_notices(now=now, limit=10)
        assert notice.guild_id == 7 and "took too long" in notice.text and "<#7000>" in notice.text
        assert "was not posted there" in notice.text
        again = await store.add_article(make_article(feed.id, 2, title="," * 1500), story_id=None, now=now)
        assert again is not None
        assert await store.take_notices(now=now, limit=10) == []  # one notice an hour per filter
    finally:
        await store.close()
        filters._compile.cache_clear()
