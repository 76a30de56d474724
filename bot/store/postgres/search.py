"""Full-text search on PostgreSQL: which text-search configuration a story is indexed with, user text
turned into safe tsquery inputs, and the search itself.

Each article's `search` tsvector is built with the configuration of its own language (`ts_config`), so
"elections" finds "élection" in a French story through the French stemmer and an English story through
the English one. A query is therefore parsed once per configuration in use (the `search_configs` table)
and matched only against the stories indexed with that configuration.

User text goes to `websearch_to_tsquery`, which never raises on malformed input (quotes make phrases, `or`
and `-` work as people expect). A trailing `*` (prefix search, as on SQLite) is the one thing it lacks:
such words are taken out, reduced to word characters and matched as `'word':*` prefixes.

What is ranked (the window), as on SQLite: the newest RANK_WINDOW matching articles in the asker's scope
(guild feeds or visible channels, optionally a feed and a `since`), ordered by ts_rank_cd (weights
RANK_WEIGHTS), best article per story. The window is found without reading every match: it is read in id
ranges, newest first, until it is full. The first range is the newest FIRST_IDS articles; each next one
is sized from how densely the ranges before it held matches in scope (enough for the missing ones, with
HEADROOM), and at most MAX_GROWTH times as long as all of them, so a common word stops after one short
range and a rare one gets there in a few steps. A range is a list of id blocks (`id_blocks`), which the
GIN index over (search, newsbot_id_blocks(id)) intersects with the words (migration 0008): only the
range's matches leave the index, each range's heap reads stay near what it contributes, and the answer is
the same as with all rows. Each range's window rows are ranked as they are read (only their tsvectors are
read), each story's best article is picked here, and one last statement reads the best stories' StoryView
rows, all in one snapshot. The statements are planned once per connection (generic plans): planning the
whole search as one statement took 3 ms a time.
`exhaustive_story_ids` computes the same window and ranking the plain way (one statement, every match);
`plain_top` is unscoped GIN + ts_rank_cd top-k, the bench's baseline.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bot.models import StoryView
from bot.store.common import story_view
from bot.store.postgres.rows import opt_utc, ts
from bot.store.postgres.views import Params

MAX_QUERY_CHARS = 500
MAX_PREFIXES = 6
MIN_PREFIX_CHARS = 2  # "a*" would expand to a large part of the vocabulary

# ts_rank_cd weights for {D, C, B, A} = {text, quotes, bullets, title}: a word in the title says more
# about what the story is than the same word deep in the text.
RANK_WEIGHTS = "{0.1, 0.3, 0.4, 1.0}"
RANK_NORMALIZATION = 1  # divide by 1 + log(document length): a long text repeating a word does not win
RANK_WINDOW = 300  # the newest this-many matches in scope are ranked (the window, see the module doc)
FIRST_IDS = 2_000  # the first id range: the newest this-many articles (out to whole blocks)
HEADROOM = 1.5  # a next range is sized for this many times the matches still missing, at the density so far
MAX_GROWTH = 10  # and is at most this many times as long as all the ranges read before it
# The id blocks newsbot_id_blocks(id) names (PostgreSQL migration 0008), smallest first; a block's number
# is (id // size) * 8 + its place here.
BLOCK_SIZES = (1_000, 10_000, 100_000, 1_000_000, 10_000_000)
GUILD_FEEDS = "SELECT feed_id FROM subscriptions WHERE guild_id = $1"

# ISO 639-1 codes (trafilatura) and the language names the summarizer uses (sumy), to PostgreSQL's
# built-in configurations. Only those the server has are used (set at open); anything else is 'simple'.
_CODES = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish",
}
SIMPLE = "simple"

_NOT_WORD = re.compile(r"\W+")
_SPLIT = re.compile(r"[-_]")


def config_for(language: str | None, available: frozenset[str]) -> str:
    """The configuration for a story's language: "en", "en-GB", "english" -> 'english' (when the server
    has it); unknown or missing -> 'simple' (no stemming, no stop words: still finds exact words)."""
    if not language:
        return SIMPLE
    lang = language[:40].strip().lower()
    name = lang if lang in available else _CODES.get(_SPLIT.split(lang, maxsplit=1)[0], SIMPLE)
    return name if name in available else SIMPLE


@dataclass(frozen=True, slots=True)
class SearchTerms:
    text: str  # for websearch_to_tsquery ("" when only prefixes were given)
    prefixes: str  # for to_tsquery: "'elect':* & 'volc':*" ("" when none)


def search_terms(query: str) -> SearchTerms | None:
    """The tsquery inputs for a user's search text, or None when nothing searchable is left."""
    words: list[str] = []
    prefixes: list[str] = []
    for raw in query[:MAX_QUERY_CHARS].replace("\x00", "").split():
        if raw.endswith("*") and len(prefixes) < MAX_PREFIXES:
            stem = _NOT_WORD.sub("", raw).replace("_", "")
            if len(stem) >= MIN_PREFIX_CHARS:
                prefixes.append(f"'{stem}':*")  # word characters only: nothing to escape
                continue
            raw = raw.rstrip("*")
        words.append(raw)
    text = " ".join(words)
    if not prefixes and not any(ch.isalnum() for ch in text):
        return None
    return SearchTerms(text=text, prefixes=" & ".join(dict.fromkeys(prefixes)))


# The user's words as a tsquery in configuration {cfg}: {w} the words and {p} the prefixes (parameters).
_TSQUERY = ("(CASE WHEN {p} = '' THEN websearch_to_tsquery({cfg}, {w}) WHEN {w} = '' THEN to_tsquery({cfg}, {p}) "
            "ELSE websearch_to_tsquery({cfg}, {w}) && to_tsquery({cfg}, {p}) END)")
# The configurations in which the query means something an index can find (not empty, not only negations).
_USABLE_CONFIGS = ("SELECT c.cfg::text FROM search_configs AS c, "
                   f"LATERAL (SELECT {_TSQUERY.format(cfg='c.cfg', w='$1', p='$2')} AS tq) AS x "
                   "WHERE numnode(x.tq) > 0 AND querytree(x.tq) <> 'T' ORDER BY 1")
# One id range's newest $5 matches in scope, each with its rank: $4 the range as id blocks (`id_blocks`),
# which the GIN index intersects with the words, so only the range's matches are read from the table. The
# rank is computed after the LIMIT, so only those rows' tsvectors are read. Each
# configuration's query is a separate, constant condition, so the planner sees it and uses the GIN index
# (a per-row query could not).
_RANGE_SQL = """
SELECT r.id, r.story_id, ts_rank_cd('{weights}', r.search, CASE r.ts_config {cases} END, {norm}) AS score
FROM (SELECT a.id, a.story_id, a.search, a.ts_config FROM articles AS a
      WHERE newsbot_id_blocks(a.id) && $4::bigint[] AND ({match}) AND {where}
      ORDER BY a.id DESC LIMIT $5) AS r
"""
# The rows the best stories' StoryViews are built from ($2), the asker's feeds only.
_VIEW_ROWS_SQL = """
SELECT a.id, a.story_id, a.url, a.title, a.bullets::text AS bullets, a.quotes::text AS quotes,
       a.published_at, a.image_url, a.reading_minutes, a.reduction, a.author, a.text_source, a.site_name,
       f.title AS feed_title
FROM articles AS a LEFT JOIN feeds AS f ON f.id = a.feed_id
WHERE a.story_id = ANY($2::bigint[]) AND a.feed_id IN ({feeds})
ORDER BY a.id
"""
# The same window and ranking with no shortcut: every match in scope, sorted in SQL.
_EXHAUSTIVE_SQL = """
WITH newest AS MATERIALIZED (
    SELECT a.id FROM articles AS a WHERE ({match}) AND {where} ORDER BY a.id DESC LIMIT $4
)
SELECT a.story_id FROM newest JOIN articles AS a ON a.id = newest.id
ORDER BY ts_rank_cd('{weights}', a.search, CASE a.ts_config {cases} END, {norm}) DESC, a.id DESC
"""
_PLAIN_SQL = """
SELECT a.id FROM articles AS a WHERE a.id >= $1 AND ({match})
ORDER BY ts_rank_cd('{weights}', a.search, CASE a.ts_config {cases} END, {norm}) DESC LIMIT $4
"""
_CONFIGS_AND_NEWEST = f"SELECT ARRAY({_USABLE_CONFIGS}), (SELECT max(id) FROM articles)"
_CONFIG_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def search_sql(template: str, configs: Sequence[str], where: str) -> str:
    """A search statement for these configurations (names from pg_ts_config, checked again here)."""
    names = [c for c in configs if _CONFIG_NAME.match(c)]
    literals = [f"'{c}'::regconfig" for c in names]
    queries = [(lit, _TSQUERY.format(cfg=lit, w="$2", p="$3")) for lit in literals]
    match = " OR ".join(f"(a.ts_config = {lit} AND a.search @@ {tq})" for lit, tq in queries)
    cases = " ".join(f"WHEN {lit} THEN {tq}" for lit, tq in queries)
    return template.format(match=match, where=where, cases=cases, weights=RANK_WEIGHTS, norm=RANK_NORMALIZATION)


def id_blocks(lo: int, hi: int) -> list[int]:
    """Block numbers (newsbot_id_blocks) whose ids are exactly [lo, hi), each block the largest that fits
    where it starts: a few dozen for any range. Both ends are multiples of the smallest block."""
    if lo % BLOCK_SIZES[0] or hi % BLOCK_SIZES[0]:
        raise ValueError(f"[{lo}, {hi}) is not on {BLOCK_SIZES[0]}-id boundaries")
    blocks: list[int] = []
    at = lo
    while at < hi:
        level = next(i for i in range(len(BLOCK_SIZES) - 1, -1, -1)
                     if at % BLOCK_SIZES[i] == 0 and at + BLOCK_SIZES[i] <= hi)
        blocks.append(at // BLOCK_SIZES[level] * 8 + level)
        at += BLOCK_SIZES[level]
    return blocks


def next_floor(top: int, floor: int, found: int) -> int:
    """Where the next id range starts, below `floor`: long enough for the matches still missing at the
    density [floor, top) held them (with HEADROOM), at most MAX_GROWTH times [floor, top), on a block
    boundary, at least one block."""
    covered, missing, block = top - floor, RANK_WINDOW - found, BLOCK_SIZES[0]
    span = MAX_GROWTH * covered
    if found:
        span = min(span, int(HEADROOM * missing * covered / found) + 1)
    return max(0, (floor - span) // block * block)


def _scope(first: int, since: datetime | None, feed_id: int | None,
           channel_ids: Collection[int] | None) -> tuple[str, str, list[object]]:
    """The asker's feeds and the whole scope, as conditions over `articles AS a` ($1 is the guild), with
    parameters numbered from ${first}."""
    extra = Params(first=first)
    feeds = f"{GUILD_FEEDS}{extra.channels(channel_ids)}"
    # `+ 0` keeps these conditions filters on rows the GIN index found: a plan that walks a feed's articles
    # through articles_feed_idx instead reads (and tests) every one's tsvector, the slow part
    where = [f"a.feed_id + 0 IN ({feeds})"]
    if since is not None:
        where.append(f"a.created_at + interval '0' >= {extra.add(ts(since))}")
    if feed_id is not None:
        where.append(f"a.feed_id + 0 = {extra.add(feed_id)}")
    return feeds, " AND ".join(where), extra.values


async def search(conn: asyncpg.Connection, guild_id: int, query: str, since: datetime | None,
                 feed_id: int | None, limit: int, channel_ids: Collection[int] | None) -> list[StoryView]:
    """Weighted full-text search (title A, bullets B, quotes C, text D) in each story's own language,
    ranked by ts_rank_cd within the window (module doc). One row per story; user text is only ever a
    parameter of websearch_to_tsquery (or a word-character prefix), never SQL or tsquery syntax."""
    terms = search_terms(query)
    if terms is None or limit <= 0:
        return []
    # $1 guild, $2 words, $3 prefixes, $4 the range's blocks, $5 how many; then the scope
    _, where, params = _scope(6, since, feed_id, channel_ids)
    # Before the settings below: the newest id comes from the primary key's end (an index scan). It only
    # places the ranges; an article stored after it is read is left out, as if it came after the search.
    row = await conn.fetchrow(_CONFIGS_AND_NEWEST, terms.text, terms.prefixes)
    configs, newest = list(row[0] or ()), int(row[1] or 0)
    if not configs:
        return []
    # Planner settings for this read-only transaction: the matches come from the GIN index as bitmaps;
    # without them the planner may walk the table newest first testing every row's tsvector. No parallel
    # workers: starting them cost more than a range. One snapshot for the ranges and the StoryViews.
    await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL enable_seqscan = off; "
                       "SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0; "
                       "SET LOCAL plan_cache_mode = force_generic_plan")
    try:
        range_sql = search_sql(_RANGE_SQL, configs, where)
        best: dict[int, tuple[float, int]] = {}  # story -> its best window row's (rank, id)
        found = 0
        top = (newest // BLOCK_SIZES[0] + 1) * BLOCK_SIZES[0]
        floor, ceiling = max(0, (newest + 1 - FIRST_IDS) // BLOCK_SIZES[0] * BLOCK_SIZES[0]), top
        while True:
            for r in await conn.fetch(range_sql, guild_id, terms.text, terms.prefixes, id_blocks(floor, ceiling),
                                      RANK_WINDOW - found, *params):
                found += 1
                best[r[1]] = max(best.get(r[1], (r[2], r[0])), (r[2], r[0]))
            if found >= RANK_WINDOW or floor == 0:
                break
            floor, ceiling = next_floor(top, floor, found), floor
        # the best stories: by rank, then the newer article (the exhaustive ranking's order)
        places = sorted(best, key=lambda story: best[story], reverse=True)[:limit]
        if not places:
            return []
        feeds, _, view_params = _scope(3, None, None, channel_ids)
        rows = await conn.fetch(_VIEW_ROWS_SQL.format(feeds=feeds), guild_id, places, *view_params)
    finally:
        await conn.execute("ROLLBACK")
    by_story: dict[int, list[asyncpg.Record]] = {}
    for r in rows:
        by_story.setdefault(int(r["story_id"]), []).append(r)
    return [story_view(story, by_story[story], opt_utc(by_story[story][0]["published_at"]))
            for story in places if story in by_story]


async def exhaustive_story_ids(conn: asyncpg.Connection, guild_id: int, query: str, *,
                               since: datetime | None = None, feed_id: int | None = None, limit: int = 10,
                               channel_ids: Collection[int] | None = None,
                               window: int | None = 0) -> list[int]:
    """The reference ranking, with no shortcut: every match in scope, the newest `window` of them (0: the
    search's RANK_WINDOW; None: all), ordered by ts_rank_cd in SQL. The story ids `search` must return,
    for tests and the benchmark."""
    terms = search_terms(query)
    if terms is None or limit <= 0:
        return []
    _, where, params = _scope(5, since, feed_id, channel_ids)
    async with conn.transaction(readonly=True):
        configs = [r[0] for r in await conn.fetch(_USABLE_CONFIGS, terms.text, terms.prefixes)]
        if not configs:
            return []
        rows = await conn.fetch(search_sql(_EXHAUSTIVE_SQL, configs, where), guild_id, terms.text,
                                terms.prefixes, None if window is None else window or RANK_WINDOW, *params)
    return list(dict.fromkeys(int(r[0]) for r in rows))[:limit]


async def plain_top(conn: asyncpg.Connection, query: str, k: int = 10,
                    give_up_after: float | None = None) -> list[int] | None:
    """Unscoped GIN match + ts_rank_cd top-k (no window, no views): the bench's baseline. None when it ran
    past `give_up_after` seconds (ranking every match of a common word at 1M stories)."""
    terms = search_terms(query)
    if terms is None:
        return []
    async with conn.transaction(readonly=True):
        configs = [r[0] for r in await conn.fetch(_USABLE_CONFIGS, terms.text, terms.prefixes)]
        if not configs:
            return []
        if give_up_after is not None:  # on the server: the statement is stopped, not only its caller
            await conn.execute(f"SET LOCAL statement_timeout = {int(give_up_after * 1000)}")
        try:
            rows = await conn.fetch(search_sql(_PLAIN_SQL, configs, "TRUE"), 0, terms.text, terms.prefixes, k)
        except asyncpg.QueryCanceledError:
            if give_up_after is None:
                raise
            return None
    return [int(r[0]) for r in rows]
