"""parse_feed on feeds served by the loopback NewsSite and on hand-written hostile bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import NetSettings
from bot.fetch import feeds, jsonfeed
from bot.fetch.feeds import MAX_PARSE_BYTES, MAX_PARSED_ENTRIES, FeedError, clean_text, find_feed_links, parse_feed
from bot.fetch.net import Fetcher, FetchResponse
from bot.models import ParsedFeed
from tests.newsite import FeedItem, NewsSite
from tests.newsite_payloads import many_entries_rss

WHEN = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


async def _get(site: NewsSite, path: str) -> FetchResponse:
    async with Fetcher(NetSettings(allow_private_addresses=True)) as f:
        return await f.fetch(site.url(path))


def _parse(resp: FetchResponse, max_entries: int = 500) -> ParsedFeed:
    return parse_feed(resp.body, url=resp.url, content_type=resp.content_type, max_entries=max_entries)


@pytest.mark.parametrize(("kind", "fmt"), [("rss", "rss20"), ("atom", "atom10"), ("json", "json1")])
async def test_site_feeds_parse_to_the_same_entries(site: NewsSite, kind: str, fmt: str) -> None:
    site.add_article("old", "Older story", "Old text.", published=WHEN.replace(day=1), author="Ann Lee")
    site.add_article("new", "Budget & \"tax\" plans", "New text.", published=WHEN, author="Bo Chen")
    site.set_feed(f"/feed.{kind}", kind=kind, entries=["old", "new"], title="Loopback <b>News</b>")
    feed = _parse(await _get(site, f"/feed.{kind}"))
    assert feed.format == fmt and feed.title == "Loopback News"
    assert feed.site_url == site.url("/")
    first, second = feed.entries  # newest first although the feed lists the old one first
    assert first.title == 'Budget & "tax" plans' and second.title == "Older story"
    assert first.link == site.url("/articles/new") and first.guid.endswith("#new")
    assert first.published == WHEN and first.published.tzinfo is not None
    assert first.author == "Bo Chen" and "New text." in first.content
    assert first.image_url == site.url("/images/new.jpg")


def test_relative_links_html_titles_full_content_and_media_images() -> None:
    body = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>/home</link>
<item><title>&lt;b&gt;Big&lt;/b&gt; news &amp;amp; more</title><link>/a/1</link>
<description>short teaser</description>
<content:encoded><![CDATA[<p>The full body of the article, longer than the teaser.</p>]]></content:encoded>
<media:thumbnail url="/img/1.jpg"/></item>
<item><title>Second</title><link>https://other.test/2</link>
<media:content url="https://cdn.test/2.png" medium="image"/></item>
<item><title>Third</title><link>javascript:alert(1)</link><description>x</description></item>
</channel></rss>"""
    feed = parse_feed(body, url="https://news.test/feeds/main.xml", content_type=None, max_entries=10)
    a, b, c = feed.entries
    assert feed.site_url == "https://news.test/home"
    assert a.link == "https://news.test/a/1" and a.title == "Big news & more"
    assert a.content.startswith("<p>The full body") and a.image_url == "https://news.test/img/1.jpg"
    assert b.image_url == "https://cdn.test/2.png"
    assert c.link is None and c.guid.startswith("sha256:")


def test_guid_falls_back_to_link_then_stable_hash() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
<item><title>Linked</title><link>http://n.test/x</link></item>
<item><title>Bare</title><description>only text</description></item></channel></rss>"""
    one = parse_feed(body, url="http://n.test/f", content_type="application/rss+xml", max_entries=5)
    two = parse_feed(body, url="http://n.test/f", content_type="application/rss+xml", max_entries=5)
    assert one.entries[0].guid == "http://n.test/x"
    assert one.entries[1].guid == two.entries[1].guid and one.entries[1].guid.startswith("sha256:")


async def test_malformed_feed_without_entries_is_an_error(site: NewsSite) -> None:
    with pytest.raises(FeedError, match="not a valid RSS or Atom feed"):
        _parse(await _get(site, "/hostile/malformed.xml"))


async def test_sloppy_feed_with_entries_is_accepted(site: NewsSite) -> None:
    feed = _parse(await _get(site, "/hostile/bozo-entries.xml"))
    assert [e.title for e in feed.entries] == ["Fish & chips"]


async def test_html_page_is_refused_with_discovered_feeds(site: NewsSite) -> None:
    with pytest.raises(FeedError, match="web page, not a feed") as err:
        _parse(await _get(site, "/hostile/html-as-feed"))
    assert err.value.alternates == (site.url("/feed.xml"), site.url("/atom.xml"))


async def test_latin1_feed_is_decoded(site: NewsSite) -> None:
    feed = _parse(await _get(site, "/hostile/non-utf8.xml"))
    assert feed.title == "Café Zürich"
    assert feed.entries[0].title == "Crème brûlée à la française" and feed.entries[0].content == "Déjà vu"


async def test_billion_laughs_refused_before_any_parser_runs(site: NewsSite, monkeypatch) -> None:
    resp = await _get(site, "/hostile/billion-laughs.xml")
    parsed: list[int] = []
    monkeypatch.setattr(feeds.feedparser, "parse", lambda body, **kw: parsed.append(len(body)))
    with pytest.raises(FeedError, match="entities"):
        _parse(resp)
    assert parsed == [], "refused by the prolog check, never expanded"


def test_plain_doctype_is_still_accepted() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>http://o.test/</link>
<item><title>Hi</title><link>http://o.test/1</link></item></channel></rss>"""
    feed = parse_feed(body, url="http://o.test/rss", content_type="text/xml", max_entries=5)
    assert feed.format == "rss091n" and feed.entries[0].title == "Hi"


async def test_ten_thousand_entries_capped_newest_first(site: NewsSite) -> None:
    body = (await _get(site, "/hostile/10k-entries.xml")).body
    assert len(body) > MAX_PARSE_BYTES
    feed = parse_feed(body, url="http://e.test/f", content_type=None, max_entries=50)
    assert len(feed.entries) == 50
    # The parser reads at most MAX_PARSE_BYTES, cut at an entry start: the newest 50 of what it read,
    # in order. (This feed lists oldest first, so the cut costs its newest entries: the bound is the
    # parser's time in a thread no timeout can stop.)
    numbers = [int(e.title.split()[1]) for e in feed.entries]
    assert numbers == list(range(numbers[0], numbers[0] - 50, -1))
    read = min(body[:MAX_PARSE_BYTES].count(b"<item>"), MAX_PARSED_ENTRIES)
    assert numbers[0] == read - 1


@pytest.mark.parametrize("body", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(body, url="http://e.test/", content_type=None, max_entries=5)


def test_json_feed_1_0_author_and_bad_json() -> None:
    doc = {"version": "https://jsonfeed.org/version/1", "title": "J", "items": [
        {"id": 7, "url": "/p/7", "content_text": "plain words here", "author": {"name": "Old Style"},
         "date_modified": "2024-03-05T15:30:00+01:00", "banner_image": "/b.png"}]}
    body = json.dumps(doc).encode()
    feed = parse_feed(body, url="https://j.test/feed.json", content_type=None, max_entries=5)
    e = feed.entries[0]
    assert (e.guid, e.link, e.author, e.title) == ("7", "https://j.test/p/7", "Old Style", "plain words here")
    assert e.published == WHEN.replace(hour=14) and e.image_url == "https://j.test/b.png"
    with pytest.raises(FeedError, match="not valid JSON"):
        parse_feed(b"{nope", url="https://j.test/f", content_type="application/json", max_entries=5)
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(b'{"hello": 1}', url="https://j.test/f", content_type=None, max_entries=5)


async def test_feed_items_without_article_pages(site: NewsSite) -> None:
    site.set_feed("/items.xml", entries=[FeedItem(guid=None, title="Elsewhere", link="http://p.test/x",
                                                  content="<p>teaser</p>")])
    (entry,) = _parse(await _get(site, "/items.xml")).entries
    assert (entry.guid, entry.link, entry.published) == ("http://p.test/x", "http://p.test/x", None)


def test_xml_that_is_not_a_feed() -> None:
    body = b'<?xml version="1.0"?><urlset><url><loc>http://s.test/</loc></url></urlset>'
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(body, url="http://s.test/sitemap.xml", content_type="application/xml", max_entries=5)


def test_helpers() -> None:
    assert clean_text("  <i>Hello</i>&nbsp;&amp;\n world ") == "Hello & world"
    page = '<link rel="alternate stylesheet" type="text/css" href="/a.css"><link rel=alternate ' \
           'type="application/feed+json" href="feed.json">'
    assert find_feed_links(page, url="http://p.test/blog/") == ("http://p.test/blog/feed.json",)


def test_json_feed_entry_with_odd_fields_does_not_sink_the_feed() -> None:
    # A non-string author name raised TypeError and a date before datetime.min in UTC raised
    # OverflowError, failing the whole feed (and, repeated, disabling it).
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
        {"id": "a", "url": "/a", "title": "Odd author", "authors": [{"name": 5}, {"name": "Real Name"}]},
        {"id": "b", "url": "/b", "title": "Odd date", "date_published": "0001-01-01T00:00:00+01:00"},
        {"id": "c", "url": "/c", "title": "Fine", "date_published": "2024-03-05T14:30:00Z"}]}
    feed = parse_feed(json.dumps(doc).encode(), url="https://j.test/f.json", content_type=None, max_entries=5)
    by_id = {e.guid: e for e in feed.entries}
    assert set(by_id) == {"a", "b", "c"}
    assert by_id["a"].author == "Real Name" and by_id["b"].published is None
    assert by_id["c"].published == WHEN
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 200_000,
                   url="https://j.test/f.json", content_type=None, max_entries=5)


def test_entry_count_is_bounded_before_parsing(monkeypatch) -> None:
    # Past MAX_PARSED_ENTRIES the rest of the body is not parsed (feeds list newest first).
    rss = many_entries_rss(MAX_PARSED_ENTRIES + 5)  # oldest first: the 5 newest lie past the cut
    feed = parse_feed(rss, url="http://example.test/f", content_type=None, max_entries=3)
    assert [e.title for e in feed.entries] == [f"Entry {MAX_PARSED_ENTRIES - i}" for i in (1, 2, 3)]
    # 5 MB of bare items took ~20 s and ~400 MB (RSS) or ~800 MB (JSON Feed) before the cut: what the
    # parsers are handed is bounded, whatever the body holds.
    handed: list[bytes] = []
    real_parse = feeds.feedparser.parse
    monkeypatch.setattr(feeds.feedparser, "parse", lambda body, **kw: handed.append(body) or real_parse(body, **kw))
    tiny = b"<item><title>x</title></item>"
    bare_rss = b'<rss version="2.0"><channel><title>t</title>' + tiny * 170_000 + b"</channel></rss>"
    assert len(parse_feed(bare_rss, url="http://e.test/f", content_type=None, max_entries=5).entries) == 5
    [body] = handed
    assert body.count(tiny) == MAX_PARSED_ENTRIES and len(body) <= MAX_PARSE_BYTES
    built: list[object] = []
    real_entry = jsonfeed._entry
    monkeypatch.setattr(jsonfeed, "_entry", lambda item, url: built.append(item) or real_entry(item, url))
    bare_json = ('{"version": "https://jsonfeed.org/version/1.1", "items": ['
                 + ",".join(['{"title": "x"}'] * 300_000) + "]}").encode()
    assert len(parse_feed(bare_json, url="http://e.test/f", content_type=None, max_entries=5).entries) == 5
    assert len(built) == MAX_PARSED_ENTRIES
