"""bot.discord.render: every embed and message it builds is within Discord's limits, whatever the story holds."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.discord import listings, render
from bot.discord.render import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    ulen,
)
from bot.models import Feed, QuoteHit, QuoteRecord, Source, StoryView, Subscription

WHEN = datetime(2024, 3, 4, 12, 30, tzinfo=UTC)


def story(**kw: object) -> StoryView:
    base: dict[str, object] = dict(
        story_id=1, article_id=1, title="Council approves new bridge", url="https://news.example/bridge",
        source=Source("Example News", "https://news.example/"),
        bullets=("The council voted 7-2 for the bridge.", "Work starts in May."),
        quotes=(QuoteRecord("We have waited long enough", "Jane Doe"),),
        published_at=WHEN, image_url="https://news.example/bridge.jpg", reading_minutes=3, reduction=0.87,
    )
    base.update(kw)
    return StoryView(**base)  # type: ignore[arg-type]


def assert_embed_ok(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert ulen(data.get("title", "")) <= TITLE_LIMIT
    assert ulen(data.get("description", "")) <= DESCRIPTION_LIMIT
    fields = data.get("fields", [])
    assert len(fields) <= FIELD_COUNT_LIMIT
    for f in fields:
        assert 0 < ulen(f["name"]) <= FIELD_NAME_LIMIT
        assert 0 < ulen(f["value"]) <= FIELD_VALUE_LIMIT
    assert ulen(data.get("footer", {}).get("text", "")) <= FOOTER_LIMIT
    assert ulen(data.get("author", {}).get("name", "")) <= AUTHOR_LIMIT
    assert render.embed_size(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed) <= EMBED_TOTAL_LIMIT  # discord.py's own count (code points)
    for key in ("url",):
        if key in data:
            assert data[key].startswith(("http://", "https://"))
    # Nothing in an embed may ping or render a mention.
    text = str(data)
    for bad in ("@everyone", "@here", "<@1", "<@&"):
        assert bad not in text


def assert_messages_ok(messages: list[render.Message]) -> None:
    for content, embeds in messages:
        assert ulen(content) <= CONTENT_LIMIT
        assert len(embeds) <= EMBEDS_PER_MESSAGE
        assert sum(render.embed_size(e) for e in embeds) <= EMBED_TOTAL_LIMIT
        assert content or embeds
        for e in embeds:
            assert_embed_ok(e)


def test_story_embed_shows_every_part() -> None:
    s = story(other_sources=(Source("Wire", "https://wire.example/a"), Source("Daily", "https://daily.example/")),
              source_count=3)
    e = story_embed_dict(s)
    assert e["title"] == "Council approves new bridge"
    assert e["url"] == "https://news.example/bridge"
    assert e["author"] == {"name": "Example News", "url": "https://news.example/"}
    assert e["description"] == "• The council voted 7-2 for the bridge.\n• Work starts in May."
    assert e["thumbnail"]["url"] == "https://news.example/bridge.jpg"
    assert e["timestamp"].startswith("2024-03-04T12:30:00")
    fields = {f["name"]: f["value"] for f in e["fields"]}
    assert fields["Also reported by"] == "[Wire](https://wire.example/a), [Daily](https://daily.example/)"
    assert fields["Quoted"] == "“We have waited long enough” — Jane Doe"
    assert e["footer"]["text"] == "3 min read · summary 87% shorter · 3 sources"


def story_embed_dict(s: StoryView) -> dict:  # type: ignore[type-arg]
    return render.story_embed(s).to_dict()  # type: ignore[return-value]


def test_markdown_and_mentions_are_escaped() -> None:
    s = story(title="**Breaking** @everyone <@123456789012345678>",
              bullets=("Click [here](https://evil.example) now _please_ @here",),
              quotes=(QuoteRecord("`rm -rf` is fine", "<@&42>"),))
    e = story_embed_dict(s)
    assert "\\*\\*Breaking\\*\\*" in e["title"]
    assert "@everyone" not in e["title"] and "@\u200beveryone" in e["title"]
    assert "<@123" not in e["title"]
    assert "\\[here](https://evil.example)" in e["description"]  # escaped: no masked link from article text
    assert "\\_please\\_" in e["description"]
    assert "@here" not in e["description"]
    assert "<@&42>" not in str(e)


def test_long_text_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    title = "word " * 100
    e = story_embed_dict(story(title=title))
    assert e["title"].endswith("word…")
    assert len(e["title"]) <= TITLE_LIMIT
    assert render.truncate("alpha beta gamma", 12) == "alpha beta…"
    assert render.truncate("short", 10) == "short"
    # No space near the end (e.g. CJK): hard cut, still within the limit.
    assert render.truncate("文" * 50, 10) == "文" * 9 + "…"
    # Astral characters count two UTF-16 units and are never cut in half.
    cut = render.truncate("😀" * 20, 9)
    assert cut == "😀" * 4 + "…" and ulen(cut) == 9


def test_bad_urls_are_left_out_instead_of_failing_the_message() -> None:
    e = story_embed_dict(story(url="javascript:alert(1)", image_url="not a url",
                               source=Source("S", "ftp://x")))
    assert "url" not in e and "thumbnail" not in e and "url" not in e["author"]


def test_no_quotes_no_sources_no_fields_and_feed_text_is_noted() -> None:
    e = story_embed_dict(story(quotes=(), text_source="feed", published_at=None, image_url=None))
    assert "fields" not in e and "timestamp" not in e
    assert "summarized from the feed" in e["footer"]["text"]


def test_many_other_sources_end_with_and_n_more() -> None:
    others = tuple(Source(f"Outlet number {i}", f"https://o{i}.example/story/{'x' * 40}") for i in range(60))
    value = story_embed_dict(story(other_sources=others))["fields"][0]["value"]
    assert value.endswith("more")
    assert ulen(value) <= FIELD_VALUE_LIMIT


def test_digest_overflows_into_more_messages_never_splitting_a_story() -> None:
    stories = [story(story_id=i, title=f"Story {i} " + "long " * 40, bullets=("b " * 300,) * 3)
               for i in range(25)]
    messages = render.digest_messages(stories, title="Daily digest", tz="Europe/Paris", now=WHEN)
    assert len(messages) > 1
    assert_messages_ok(messages)
    assert sum(len(embeds) for _c, embeds in messages) == 25
    assert "Monday 4 March" in messages[0][0] and "25 stories" in messages[0][0]
    assert "thread" in messages[0][0]


def test_empty_digest_is_one_line() -> None:
    messages = render.digest_messages([], title="Daily digest", tz="UTC", now=WHEN)
    assert messages == [(messages[0][0], [])] and "no new stories" in messages[0][0]


def test_listings_respect_limits_and_say_how_many_are_hidden() -> None:
    stories = [story(story_id=i, title="t" * 300, bullets=("x " * 400,) * 3) for i in range(40)]
    e = listings.search_results_embed("bridge", stories, days=7)
    assert_embed_ok(e)
    assert "more not shown" in e.to_dict()["footer"]["text"]
    assert listings.search_results_embed("nothing", [], days=None).description.startswith("No stored story")  # type: ignore[union-attr]
    assert_embed_ok(listings.latest_embed(stories, feed_name="Feed"))
    hits = [QuoteHit(QuoteRecord("q " * 700, "Jane Doe"), story()) for _ in range(30)]
    assert_embed_ok(listings.quotes_embed("Doe", hits, days=30))
    feed = Feed(id=7, url="https://f.example/rss", title="F" * 400, site_url=None, etag=None,
                last_modified=None, poll_interval=900, next_poll_at=WHEN, failure_count=3, disabled=True,
                disabled_reason="HTTP 404", last_error="HTTP 404", last_polled_at=None, initialized=True)
    sub = Subscription(id=1, guild_id=1, channel_id=2, feed_id=7, include="a,b", paused=True,
                       paused_reason="gone")
    e = listings.feed_list_embed([(sub, feed)] * 40)
    assert_embed_ok(e)
    value = e.to_dict()["fields"][0]["value"]
    assert "<#2>" in value and "disabled" in value and "/feed enable 7" in value and "paused" in value


# ---------------------------------------------------------------- properties

nasty = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(list("*_~`|>#-[]()@<>\\ \n😀"))),
    max_size=3000,
)
urls = st.one_of(st.none(), st.just("https://ok.example/x"), st.text(max_size=50),
                 st.builds(lambda s: "https://e.example/" + s, st.text(max_size=3000)))
sources = st.builds(Source, nasty, st.one_of(st.just("https://s.example/"), st.text(max_size=30)))
stories = st.builds(
    StoryView,
    story_id=st.integers(1, 10**9), article_id=st.integers(1, 10**9), title=nasty,
    url=st.one_of(st.just("https://ok.example/"), st.text(max_size=40)), source=sources,
    bullets=st.lists(nasty, max_size=12).map(tuple),
    quotes=st.lists(st.builds(QuoteRecord, nasty, st.one_of(st.none(), nasty)), max_size=5).map(tuple),
    published_at=st.one_of(st.none(), st.just(WHEN)), image_url=urls,
    reading_minutes=st.integers(0, 10**6), reduction=st.floats(-1, 2, allow_nan=False),
    other_sources=st.lists(sources, max_size=30).map(tuple),
    source_count=st.integers(1, 100),
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.data_too_large])


@fast
@given(stories)
def test_any_story_embed_is_within_limits(s: StoryView) -> None:
    assert_embed_ok(render.story_embed(s))
    assert_embed_ok(render.story_embed(s, compact=True))


@fast
@given(st.lists(stories, max_size=30), nasty)
def test_any_digest_is_within_limits(ss: list[StoryView], title: str) -> None:
    messages = render.digest_messages(ss, title=title or "Digest", tz="America/New_York", now=WHEN)
    assert_messages_ok(messages)
    assert sum(len(e) for _c, e in messages) == len(ss)


@fast
@given(nasty, st.lists(stories, max_size=30))
def test_any_listing_is_within_limits(query: str, ss: list[StoryView]) -> None:
    assert_embed_ok(listings.search_results_embed(query, ss, days=3, feed_name=query))
    assert_embed_ok(listings.latest_embed(ss, feed_name=query or None))
    hits = [QuoteHit(q, s) for s in ss for q in s.quotes]
    assert_embed_ok(listings.quotes_embed(query, hits))


@fast
@given(nasty, st.integers(0, 5000))
def test_fit_never_exceeds_and_marks_cuts(text: str, limit: int) -> None:
    out = render.fit(text, limit)
    assert ulen(out) <= limit
    assert "@everyone" not in out


def test_fit_marks_only_real_cuts() -> None:
    # Collapsing whitespace is not cutting: no "…" (it used to fill the rest of the slot with them).
    assert render.fit("a  b", 100) == "a b"
    assert render.fit("  Harbour bridge\nto close \n", 256) == "Harbour bridge to close"
    assert render.fit_plain("Example  News\n", 100) == "Example News"
    # A real cut is still marked, whether or not what is left would fit after collapsing.
    assert render.fit("a" + " " * 500 + "b", 20) == "a…"
    assert render.fit("word " * 30, 20) == "word word word…"
    assert render.fit_plain("x" * 30, 10) == "x" * 9 + "…"


def test_code_shows_text_as_typed_within_the_limit() -> None:
    assert render.code(r"/\bbridge_\w+/", 50) == r"`/\bbridge_\w+/`"
    assert render.code("a`b", 50) == "`aˋb`"
    cut = render.code("x" * 400, 20)
    assert cut.startswith("`x") and cut.endswith("…`") and ulen(cut) <= 20
    assert render.code("   ", 20) == "" and render.code(None, 20) == ""
