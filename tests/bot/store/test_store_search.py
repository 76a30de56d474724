"""Store lookups: full-text search (ranking, guild scoping, hostile input), latest, quotes, retention."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import QuoteRecord
from bot.store import Store
from bot.store.sqlite.fts import match_expression
from tests.bot.store.conftest import backend, query
from tests.bot.store.test_store import T0, make_article, raw


async def _two_guilds(store: Store) -> tuple[int, int]:
    a = await store.add_feed("https://a/rss", title="Alpha", now=T0)
    b = await store.add_feed("https://b/rss", title="Beta", now=T0)
    await store.subscribe(1, 10, a.id, now=T0)
    await store.subscribe(2, 20, b.id, now=T0)
    return a.id, b.id


async def test_search_ranks_title_over_text(store: Store) -> None:
    a, _ = await _two_guilds(store)
    in_text = await store.add_article(make_article(a, 1, title="Budget talks resume", language="en",
                                                   text="The volcano was mentioned once at the end."),
                                      story_id=None, now=T0)
    in_bullets = await store.add_article(make_article(a, 2, title="Island news", language="english",
                                                      bullets=("A volcano rumbles on the island.",)),
                                         story_id=None, now=T0)
    in_title = await store.add_article(make_article(a, 3, title="Volcano erupts in Iceland", language="en-GB"),
                                       story_id=None, now=T0)
    assert in_text and in_bullets and in_title
    hits = await store.search(1, "volcano")
    assert [h.story_id for h in hits] == [in_title.story_id, in_bullets.story_id, in_text.story_id]
    assert [h.story_id for h in await store.search(1, "volcano", limit=1)] == [in_title.story_id]
    assert (await store.search(1, "volc*"))[0].story_id == in_title.story_id  # prefix
    assert (await store.search(1, "VOLCANOES"))[0].story_id == in_title.story_id  # English stemming
    assert await store.search(1, "volcano iceland") == [await store.get_story(in_title.story_id)]  # AND


async def test_search_follows_each_story_language(store: Store) -> None:
    """A story is stemmed in its own language: the French plural finds a French story, and a story in a
    language with no stemmer (or none given) is still found by its exact words."""
    a, _ = await _two_guilds(store)
    french = await store.add_article(make_article(a, 1, title="Les élections régionales", language="fr"),
                                     story_id=None, now=T0)
    unknown = await store.add_article(make_article(a, 2, title="Wahlen in Kärnten heute", language="xx"),
                                      story_id=None, now=T0)
    assert french and unknown
    assert [h.story_id for h in await store.search(1, "élection")] == [french.story_id]
    assert [h.story_id for h in await store.search(1, "kärnten")] == [unknown.story_id]
    assert await store.search(1, "volcano") == []


async def test_search_scoped_to_guild_and_filters(store: Store) -> None:
    a, b = await _two_guilds(store)
    mine = await store.add_article(make_article(a, 1, title="Secret merger talks"), story_id=None, now=T0)
    theirs = await store.add_article(make_article(b, 1, title="Secret merger plans"), story_id=None,
                                     now=T0 + timedelta(hours=2))
    assert mine and theirs
    assert [h.story_id for h in await store.search(1, "merger")] == [mine.story_id]
    assert [h.story_id for h in await store.search(2, "merger")] == [theirs.story_id]
    assert await store.search(3, "merger") == []  # a guild with no subscriptions sees nothing
    assert await store.search(1, "merger", feed_id=b) == []  # naming another guild's feed does not help
    assert await store.search(2, "merger", since=T0 + timedelta(hours=3)) == []
    assert len(await store.search(2, "merger", since=T0 + timedelta(hours=1))) == 1
    assert [h.story_id for h in await store.search(1, "merger", feed_id=a)] == [mine.story_id]


async def test_search_one_row_per_story(store: Store) -> None:
    a, b = await _two_guilds(store)
    await store.subscribe(1, 10, b, now=T0)
    first = await store.add_article(make_article(a, 1, title="Flood warning issued"), story_id=None, now=T0)
    assert first
    await store.add_article(make_article(b, 1, title="Flood warning for the valley"), story_id=first.story_id,
                            now=T0)
    hits = await store.search(1, "flood warning")
    assert [h.story_id for h in hits] == [first.story_id] and hits[0].source_count == 2


@pytest.mark.parametrize("query", ['"', '""', "AND OR NOT", "*", "NEAR(", "NEAR(a b", "title:x", "^start",
                                   "a AND", "(", ")", "-", "x" * 10_000, "🎉🔥", "wörd* 🎉 \"quoted\"",
                                   "\x00", "col:*", "  ", "", "a' OR '1'='1", "{title bullets}: x"])
async def test_hostile_queries_never_raise(store: Store, query: str) -> None:
    a, _ = await _two_guilds(store)
    await store.add_article(make_article(a, 1, title="And or not near title"), story_id=None, now=T0)
    result = await store.search(1, query)
    assert isinstance(result, list) and len(result) <= 5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_match_expression_is_always_valid_fts(text: str) -> None:
    """Any user text becomes a valid FTS expression, and it finds a document holding that very text."""
    import sqlite3

    expr = match_expression(text)
    if expr is None:
        assert not any(ch.isascii() and ch.isalnum() for ch in text), text  # None: nothing to search for
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (a, tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO t (rowid, a) VALUES (1, 'zzqx unrelated')")
    conn.execute("INSERT INTO t (rowid, a) VALUES (2, ?)", (text.replace("\x00", ""),))  # stored text has no NULs
    found = [r[0] for r in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,)).fetchall()]
    conn.close()
    # A query with a plain word in it finds the document holding it (beyond ASCII, what counts as a word
    # differs between Python's and FTS5's Unicode tables, so only these are asserted).
    if any(ch.isascii() and ch.isalnum() for ch in text):
        assert 2 in found, (text, expr, found)


def test_match_expression_shapes() -> None:
    assert match_expression("") is None and match_expression("🎉 * ??") is None
    assert match_expression('say "hi"') == '"say" "hi"'.replace('"hi"', '"""hi"""')
    assert match_expression("elect*") == '"elect"*'
    assert match_expression("a*") == '"a"'  # one-letter prefixes would expand to half the vocabulary
    assert match_expression("NEAR(x") == '"NEAR(x"'


async def test_latest(store: Store) -> None:
    a, b = await _two_guilds(store)
    c = (await store.add_feed("https://c/rss", title="Gamma", now=T0)).id
    await store.subscribe(1, 11, c, now=T0)
    ids = []
    for n in range(4):
        s = await store.add_article(make_article(a if n % 2 else c, n), story_id=None,
                                    now=T0 + timedelta(minutes=n))
        assert s
        ids.append(s.story_id)
    # the same story gaining an article does not make it appear twice
    await store.add_article(make_article(c, 9), story_id=ids[3], now=T0 + timedelta(minutes=9))
    await store.add_article(make_article(b, 1), story_id=None, now=T0 + timedelta(minutes=10))
    assert [v.story_id for v in await store.latest(1)] == [ids[3], ids[2], ids[1], ids[0]]
    assert [v.story_id for v in await store.latest(1, limit=2)] == [ids[3], ids[2]]
    assert [v.story_id for v in await store.latest(1, feed_id=a)] == [ids[3], ids[1]]
    assert await store.latest(1, feed_id=b) == []  # not this guild's feed


async def test_quotes_by(store: Store) -> None:
    a, b = await _two_guilds(store)
    q1 = await store.add_article(make_article(a, 1, quotes=(QuoteRecord("Prudence is key.", "Gordon Brown"),
                                                            QuoteRecord("Other words.", "Someone Else"))),
                                 story_id=None, now=T0)
    q2 = await store.add_article(make_article(a, 2, quotes=(QuoteRecord("Ça ira.", "José Ramos-Horta"),
                                                            QuoteRecord("No comment.", "Mr. Brown"))),
                                 story_id=None, now=T0 + timedelta(hours=1))
    await store.add_article(make_article(b, 3, quotes=(QuoteRecord("Elsewhere.", "Gordon Brown"),)),
                            story_id=None, now=T0)
    assert q1 and q2
    brown = await store.quotes_by(1, "brown")
    assert [(h.quote.text, h.story.story_id) for h in brown] == [
        ("No comment.", q2.story_id), ("Prudence is key.", q1.story_id)]  # newest first, guild 1 only
    assert [h.quote.text for h in await store.quotes_by(1, "GORDON BROWN")] == ["Prudence is key."]
    assert [h.quote.speaker for h in await store.quotes_by(1, "jose ramos horta")] == ["José Ramos-Horta"]
    assert [h.quote.text for h in await store.quotes_by(1, "Ramos-Horta")] == ["Ça ira."]
    assert await store.quotes_by(1, "Gordon") == []  # a first name alone is too vague
    assert await store.quotes_by(1, "  ") == []
    assert len(await store.quotes_by(1, "brown", limit=1)) == 1
    assert [h.quote.text for h in await store.quotes_by(1, "brown", since=T0 + timedelta(minutes=30))] == [
        "No comment."]


async def test_retention_purge_keeps_summaries_searchable(store: Store, database: str) -> None:
    a, _ = await _two_guilds(store)
    old = await store.add_article(make_article(a, 1, title="Harbour reopens", bullets=("Ferries resume.",),
                                               text="Dockworkers celebrated quietly.",
                                               quotes=(QuoteRecord("Finally.", "Ann Lee"),)),
                                  story_id=None, now=T0)
    new = await store.add_article(make_article(a, 2, text="Dockworkers again."), story_id=None,
                                  now=T0 + timedelta(days=40))
    assert old and new
    assert len(await store.search(1, "dockworkers")) == 2
    assert await store.purge_article_text(T0 + timedelta(days=30)) == 1
    assert await store.purge_article_text(T0 + timedelta(days=30)) == 0  # already done
    assert [h.story_id for h in await store.search(1, "dockworkers")] == [new.story_id]
    for q in ("harbour", "ferries", "finally", "lee"):
        assert [h.story_id for h in await store.search(1, q)] == [old.story_id], q
    assert [h.quote.text for h in await store.quotes_by(1, "Lee")] == ["Finally."]
    purged = await query(store, "SELECT text IS NULL, text_purged_at IS NOT NULL FROM articles ORDER BY id")
    assert [tuple(map(bool, r)) for r in purged] == [(True, True), (False, False)]
    if backend(store) == "sqlite":  # SQLite-only: the FTS5 index is kept by hand, so check it is intact
        assert raw(Path(database), "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')") == []


async def reference(store: Store, guild_id: int, text: str, **scope: Any) -> list[int]:
    """The backend's exhaustive ranking (every match in scope, sorted in SQL, no shortcut)."""
    if backend(store) == "postgres":
        from bot.store.postgres import search as pg_search

        async with store._read() as conn:  # type: ignore[attr-defined]
            return await pg_search.exhaustive_story_ids(conn, guild_id, text, **scope)
    from bot.store.sqlite import search as lite_search

    ranked = functools.partial(lite_search.exhaustive_story_ids, guild_id=guild_id, query=text, **scope)
    return await store._read_sync(ranked)  # type: ignore[attr-defined, no-any-return]


WORDS = "rail strike talks union pay offer minister budget storm flood court ruling".split()  # noqa: SIM905


async def test_search_equals_the_exhaustive_ranking(store: Store) -> None:
    """On varied small data, search returns exactly the exhaustive ranking's stories, in its order, for
    every query kind and scope (feed, since, visible channels), both backends."""
    c = await _varied_stories(store, 40)
    assert await _matches_reference(store, c) > 100  # the comparison was over real results, not empty lists


async def _varied_stories(store: Store, count: int, *, first: int = 0, feeds: tuple[int, ...] = ()) -> int:
    """`count` stories of varied words, quotes and shared stories over three feeds (guild 1 follows the
    first and third, the third in channel 11); returns the third feed's id."""
    if not feeds:
        a, b = await _two_guilds(store)
        c = (await store.add_feed("https://c/rss", title="Gamma", now=T0)).id
        await store.subscribe(1, 11, c, now=T0)
        feeds = (a, b, c)
    stories: list[int] = []
    for n in range(first, first + count):
        words = [WORDS[(n * k + 3) % len(WORDS)] for k in (1, 2, 5)]
        quotes = (QuoteRecord(f"We will {words[0]}.", "Gordon Brown"),) if n % 4 == 0 else ()
        joins = stories[(n - first) // 3] if n % 5 == 4 and stories else None
        stored = await store.add_article(
            make_article(feeds[n % 3], n, title=f"{words[0].title()} {words[1]} news {n}",
                         text=" ".join(words * (1 + n % 3)) + " and more", quotes=quotes,
                         bullets=(f"The {words[2]} goes on.",)),
            story_id=joins, now=T0 + timedelta(minutes=n))
        assert stored
        stories.append(stored.story_id)
    return feeds[2]


async def _matches_reference(store: Store, c: int) -> int:
    """Search equals the exhaustive ranking for every query kind and scope; returns how many it found."""
    scopes: list[dict[str, Any]] = [{}, {"feed_id": c}, {"since": T0 + timedelta(minutes=20)},
                                    {"channel_ids": [11]}, {"channel_ids": []}]
    found = 0
    for text in ("strike", "rail pay", "brown", "storm*", "ruling court", "zzqx", "news"):
        for scope in scopes:
            for limit in (3, 10):
                got = [v.story_id for v in await store.search(1, text, limit=limit, **scope)]
                assert got == await reference(store, 1, text, limit=limit, **scope), (text, scope, limit)
                found += len(got)
    return found


async def test_search_reads_id_ranges_newest_first_and_changes_no_result(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the window is read in id ranges, newest first, each sized from the density of matches
    before it. With articles spread over blocks of every size (ids from 1 to past 20,000,000) and a window
    of four, searches take several ranges, and every answer is the exhaustive ranking's."""
    if backend(store) != "postgres":
        pytest.skip("PostgreSQL's id ranges (SQLite ranks the newest window from its FTS5 index)")
    from bot.store.postgres import search as pg_search

    monkeypatch.setattr(pg_search, "RANK_WINDOW", 4)
    ranges: list[tuple[int, int]] = []
    id_blocks = pg_search.id_blocks

    def recorded(lo: int, hi: int) -> list[int]:
        ranges.append((lo, hi))
        return id_blocks(lo, hi)

    monkeypatch.setattr(pg_search, "id_blocks", recorded)
    c = await _varied_stories(store, 8)
    feeds = tuple(int(r[0]) for r in await query(store, "SELECT id FROM feeds ORDER BY id"))
    for first, start in enumerate((1_700, 9_990, 134_500, 1_999_000, 20_000_999, 20_004_000), start=1):
        async with store._read() as conn:  # type: ignore[attr-defined]
            await conn.execute(f"ALTER TABLE articles ALTER COLUMN id RESTART WITH {start}")
        await _varied_stories(store, 7, first=8 * first, feeds=feeds)
    assert await _matches_reference(store, c) > 50
    top = 20_005_000  # the block past the newest id
    searches: list[list[tuple[int, int]]] = []
    for lo, hi in ranges:
        if hi == top:
            searches.append([])
        assert not searches[-1] or searches[-1][-1][0] == hi  # each range ends where the one before began
        searches[-1].append((lo, hi))
    taken = [len(s) for s in searches]
    assert max(taken) >= 5 and min(taken) == 1  # some went down to the oldest blocks, some stopped at once
    assert any(s[-1][0] > 0 for s in searches if len(s) > 1)  # and some stopped on the way


async def test_id_blocks_are_exactly_the_range(store: Store) -> None:
    """PostgreSQL: the block numbers id_blocks gives for [lo, hi) match, through newsbot_id_blocks in the
    database, exactly the ids in [lo, hi), for ranges on every size of block."""
    if backend(store) != "postgres":
        pytest.skip("PostgreSQL's id blocks")
    from bot.store.postgres.search import id_blocks

    ranges = [(0, 1_000), (0, 2_000_000), (9_000, 11_000), (1_000, 100_000), (99_000, 1_101_000),
              (5_000, 35_000_000), (19_999_000, 20_001_000), (123_000, 9_877_000)]
    for lo, hi in ranges:
        assert len(id_blocks(lo, hi)) < 60
        probes = sorted({0, 1, lo - 1, lo, lo + 1, lo + 999, lo + 1_000, hi - 1_001, hi - 1, hi, hi + 1,
                         (lo + hi) // 2, 10_000_000, 10_000_000 - 1})
        async with store._read() as conn:  # type: ignore[attr-defined]
            rows = await conn.fetch("SELECT p FROM unnest($1::bigint[]) AS p "
                                    "WHERE newsbot_id_blocks(p) && $2::bigint[] ORDER BY p",
                                    [p for p in probes if p >= 0], id_blocks(lo, hi))
        assert [r[0] for r in rows] == [p for p in probes if lo <= p < hi], (lo, hi)
    with pytest.raises(ValueError, match="boundaries"):
        id_blocks(5, 1_000)


async def test_search_ranks_within_the_newest_window(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the newest RANK_WINDOW matches in scope are ranked: an older, better match of the guild is left
    out, another guild's newer matches do not take the window's places, and every id range the PostgreSQL
    store tries first gives the answer a search over all rows would."""
    from bot.store.postgres import search as pg_search
    from bot.store.sqlite import search as lite_search

    a, b = await _two_guilds(store)
    mine: list[int] = []
    for n in range(12):  # guild 2's stories crowd the newest matches; guild 1 has four
        feed = a if n in (1, 3, 7, 9) else b
        title = "Strike strike strike" if n == 1 else f"Rail strike day {n}"
        s = await store.add_article(make_article(feed, n, title=title), story_id=None,
                                    now=T0 + timedelta(minutes=n))
        assert s
        if feed == a:
            mine.append(s.story_id)
    assert (await store.search(1, "strike"))[0].story_id == mine[0]  # the best match, when all are ranked
    monkeypatch.setattr(lite_search, "RANK_WINDOW", 2)
    monkeypatch.setattr(pg_search, "RANK_WINDOW", 2)
    monkeypatch.setattr(pg_search, "FIRST_IDS", 1)  # PostgreSQL: the first range is the newest block
    got = [h.story_id for h in await store.search(1, "strike", limit=5)]
    assert sorted(got) == sorted(mine[2:]) and got == await reference(store, 1, "strike", limit=5, window=2)
    assert (await reference(store, 1, "strike", limit=5, window=None))[0] == mine[0]
    assert len(await store.search(2, "strike", limit=10)) == 2


async def test_cross_guild_cluster_shows_each_guild_only_its_own_feeds(store: Store) -> None:
    """Clustering is global, but a story as guild 1 sees it (search, latest, quotes, digest, its channel's
    post) is built from guild 1's feeds only: guild 2's private feed's title, link, bullets, quotes and
    source name never reach guild 1."""
    a, b = await _two_guilds(store)
    secret = await store.add_article(make_article(b, 1, title="Quake: internal memo", url="https://b/x?token=s3",
                                                  quotes=(QuoteRecord("Secret words", "Ann Lee"),)),
                                     story_id=None, now=T0)
    assert secret is not None
    public = await store.add_article(make_article(a, 1, title="Quake hits city",
                                                  quotes=(QuoteRecord("Public words", "Ann Lee"),)),
                                     story_id=secret.story_id, now=T0 + timedelta(minutes=1))
    assert public is not None and public.story_id == secret.story_id

    def only_alpha(view: object) -> None:
        assert view.title == "Quake hits city" and view.source.name == "Alpha"  # type: ignore[attr-defined]
        assert view.other_sources == () and view.source_count == 1  # type: ignore[attr-defined]
        assert "token" not in view.url  # type: ignore[attr-defined]

    [found] = await store.search(1, "quake")
    only_alpha(found)
    [newest] = await store.latest(1)
    only_alpha(newest)
    [hit] = await store.quotes_by(1, "Ann Lee")
    assert hit.quote.text == "Public words"
    only_alpha(hit.story)
    [digest] = await store.digest_stories(10, since=T0 - timedelta(hours=1), limit=5)
    only_alpha(digest)
    pending = {p.channel_id: p for p in await store.pending_deliveries(T0 + timedelta(hours=1))}
    only_alpha(pending[10].story)
    assert pending[20].story.title == "Quake: internal memo"  # guild 2 sees its own article
    assert [s.name for s in pending[20].story.other_sources] == []


async def test_tidying_the_search_index_merges_it_and_changes_no_result(store: Store, database: str) -> None:
    """One write per article leaves the full-text index in many segments, which every search reads; the
    retention job's tidy merges them (SQLite) or clears the pending list (PostgreSQL GIN), and what a
    search returns is the same before and after."""
    from bot.store.sqlite.articles import SEARCH_SEGMENTS_BEFORE_MERGE

    a, _ = await _two_guilds(store)

    def segments() -> int:
        return int(raw(Path(database), "SELECT count(DISTINCT segid) FROM articles_fts_idx")[0][0])

    n = 0
    while n < 40 or (backend(store) == "sqlite" and segments() <= SEARCH_SEGMENTS_BEFORE_MERGE and n < 400):
        await store.add_article(make_article(a, n, title=f"Harbour story {n}", text=f"Ferries and dockworkers {n}."),
                                story_id=None, now=T0 + timedelta(minutes=n))
        n += 1
    before = {q: [h.story_id for h in await store.search(1, q, limit=20)] for q in ("ferries", "harbour", "dock*")}
    assert all(len(ids) == 20 for ids in before.values())
    if backend(store) == "sqlite":
        assert segments() > SEARCH_SEGMENTS_BEFORE_MERGE
        assert await store.tidy_search_index() >= 1
        assert segments() == 1
        assert raw(Path(database), "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')") == []
    else:
        assert await store.tidy_search_index() >= 0
    assert await store.tidy_search_index() == 0  # nothing left to do
    assert {q: [h.story_id for h in await store.search(1, q, limit=20)] for q in before} == before
