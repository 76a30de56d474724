"""The hostile corpus: feeds and pages a hostile (or merely broken) publisher can serve, each with the
outcome newsbot must reach: refused with a clear reason, or stored with the right fields.

Bodies are generated here (nothing big is committed); `body(base)` gets the site's base URL so links can
point back at the loopback site. Cases without a body use one of tests/newsite.py's hostile routes
(network-level attacks: bombs, endless bodies, loops). tests/hostile/test_corpus.py serves every case
through the real Fetcher, parser and ingest into a real SQLite store; bench/hostile.py times the
parse and extract of every case that has a body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.newsite_payloads import BILLION_LAUGHS

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
HTML = "text/html; charset=utf-8"
MB = 1_000_000
MAX_TITLE_CHARS = 500  # bot.fetch.fields' caps, restated so the corpus also runs against older code
MAX_AUTHOR_CHARS = 200

STORY = (
    "Officials in the harbour city of Porthaven said on Tuesday that the new flood barrier will cost forty "
    "million pounds and protect 12,000 homes from storm surges.\n\nThe council voted 31 to 7 in favour of the "
    "plan after a record surge in October flooded 1,200 homes and closed the port for nine days.\n\n"
    "\"We cannot ask people to rebuild their homes twice,\" said council leader Margaret Ellison.\n\n"
    "Construction of the 2.4-kilometre barrier is due to start in March and take three years."
)
WHEN = "Tue, 24 Nov 2026 10:00:00 GMT"


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str  # a regular expression the poll error must match


@dataclass(frozen=True, slots=True)
class Stored:
    """`check(outcome)` asserts the stored fields; `count` is how many new stories the poll stores."""

    count: int
    check: Callable[[Any], Awaitable[None] | None] | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    kind: str  # "feed": the body is the feed; "page": the body is the page a normal feed entry links to
    expect: Refused | Stored
    body: Callable[[str], bytes] | None = None
    content_type: str = RSS
    route: str | None = None  # a tests/newsite.py hostile route instead of a body
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)


XML_DECL = '<?xml version="1.0" encoding="utf-8"?>'


def rss(items: str, *, title: str = "Hostile", head: str = "", decl: str = XML_DECL) -> bytes:
    return (f"{decl}{head}<rss version=\"2.0\"><channel><title>{title}</title><link>http://example.test/</link>"
            f"{items}</channel></rss>").encode()


def story(n: int) -> str:
    """A different story for each n, so that the story-grouping index keeps them apart."""
    return (f"Story {n}: the town of Elmsworth{n} announced {n * 7 + 3} new jobs at a battery factory "
            f"on the site of former mill number {n}, officials in Westmarsh{n} said on Monday. Mayor "
            f"Tobias Quill{n} called it the biggest investment in a generation; unions in district {n} "
            f"asked for talks about pay. A grant of {n + 1} million pounds was confirmed.")


def item(title: str, link: str, guid: str, *, date: str = WHEN, extra: str = "", n: int = 0) -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid><pubDate>{date}</pubDate>"
            f"<description>{story(n) if n else STORY}</description>{extra}</item>")


def json_feed(items: list[Any], **doc: Any) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items, **doc}).encode()


def page(title: str, body_html: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{head}</head>"
            f"<body>{body_html}</body></html>").encode()


def article_html(paragraphs: int = 4) -> str:
    paras = "".join(f"<p>{p}</p>" for p in STORY.split("\n\n"))
    return f"<article><h1>Flood barrier approved</h1>{paras * max(1, paragraphs // 4)}</article>"


# ---- checks on stored outcomes (`o` has .pending: list[PendingDelivery], .store, .feed, .site, .guids)

def titles_capped(o: Any) -> None:
    for d in o.pending:
        assert 0 < len(d.story.title) <= MAX_TITLE_CHARS, d.story.title[:80]


def clean_text_fields(o: Any) -> None:
    for d in o.pending:
        s = d.story
        for text in (s.title, *s.bullets, s.author or ""):
            assert "\x00" not in text and "\ufffd" not in s.title
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def no_dates(o: Any) -> None:
    assert o.pending and all(d.story.published_at is None for d in o.pending)


def http_links_only(o: Any) -> None:
    for d in o.pending:
        assert d.story.url.startswith(("http://", "https://")), d.story.url
        assert d.story.image_url is None or d.story.image_url.startswith("http")


def titles_are(*expected: str) -> Callable[[Any], None]:
    def check(o: Any) -> None:
        assert sorted(d.story.title for d in o.pending) == sorted(expected)
    return check


def page_text_used(o: Any) -> None:
    assert [d.story.text_source for d in o.pending] == ["page"]


def feed_text_used(o: Any) -> None:
    assert [d.story.text_source for d in o.pending] == ["feed"]


def author_capped(o: Any) -> None:
    assert all(d.story.author is None or len(d.story.author) <= MAX_AUTHOR_CHARS for d in o.pending)


async def relative_guid_against_subscribed_url(o: Any) -> None:
    # The feed was subscribed at /c/moved, which redirects to /c/new/feed.xml: the relative guid resolves
    # against the subscribed URL, so it stays the same when the feed moves again.
    assert await o.store.unseen_guids(o.feed.id, [o.site.url("/c/item-7")]) == set()


def five_links(base: str) -> bytes:
    return rss("".join(item(f"Shared guid {n}", f"{base}/x/{n}", "same-guid", n=n + 1) for n in range(5)))


def bare_items(n: int) -> Callable[[str], bytes]:
    return lambda base: rss("<item/>" * n)


def many_lt_description(size: int) -> Callable[[str], bytes]:
    return lambda base: rss(f"<item><title>Angles</title><link>{base}/a</link><guid>a</guid>"
                            f"<description><![CDATA[{'<' * size}]]></description></item>")


def raw_lt_feed(size: int) -> Callable[[str], bytes]:  # not well-formed: the loose parser's path
    return lambda base: rss(f"<item><title>Raw</title><link>{base}/r</link><guid>r</guid><description>"
                            + "<a " * (size // 3) + "</description></item>")


def json_many(size: int) -> Callable[[str], bytes]:
    def build(base: str) -> bytes:
        items, used, n = [], 0, 0
        while used < size:
            it = {"id": f"j{n}", "url": f"{base}/j/{n}", "title": "<" * 2000, "content_text": story(n + 1),
                  "date_published": f"2026-11-{1 + n % 28:02d}T10:00:00Z"}
            items.append(it)
            used += len(json.dumps(it))
            n += 1
        return json_feed(items)
    return build


def meta_comment_page(size: int) -> Callable[[str], bytes]:
    return lambda base: page("Meta", "<!-- " + "<meta " * (size // 6) + " -->" + article_html())


def many_links_page(n: int) -> Callable[[str], bytes]:
    return lambda base: page("Links", "<div>" + "<a href='/x'>link</a> " * n + "</div>")


def nested_page(n: int) -> Callable[[str], bytes]:
    return lambda base: page("Nested", "<div>" * n + "deep" + "</div>" * n)


def big_article_page(size: int, *, article_first: bool) -> Callable[[str], bytes]:
    def build(base: str) -> bytes:
        nav = "<nav>" + "<a href='/s'>section</a>" * 200 + "</nav>"
        junk = "<div class='ad'><span>ad</span></div>" * ((size - 5000) // 40)
        scripts = "<script>var tracking = 1;</script>" * 20
        body = nav + article_html() + junk if article_first else nav + junk + article_html()
        return page("Big", scripts + body)
    return build


CASES: list[Case] = [
    # -- refused, with the reason a user sees in /feed list
    Case("billion-laughs", "feed", Refused("nested or external XML entities"), body=lambda b: BILLION_LAUGHS),
    Case("external-entity", "feed", Refused("nested or external XML entities"), body=lambda b: (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>&x;</title></channel></rss>')),
    Case("parameter-entity", "feed", Refused("nested or external XML entities"), body=lambda b: (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://169.254.169.254/">%p;]>'
        b'<rss version="2.0"><channel><title>t</title></channel></rss>')),
    Case("gzip-bomb", "feed", Refused("larger than .* once decompressed"), route="/hostile/gzip-bomb"),
    Case("50MB-body", "feed", Refused("larger than"), route="/hostile/huge"),
    Case("endless-slow-body", "feed", Refused("timed out"), route="/hostile/slow"),
    Case("redirect-loop", "feed", Refused("too many redirects"), route="/hostile/redirect-loop"),
    Case("web-page", "feed", Refused("web page, not a feed"), content_type=HTML,
         body=lambda b: page("Home", "<p>Welcome</p>")),
    Case("empty", "feed", Refused("empty"), body=lambda b: b"  \n "),
    Case("garbage-xml", "feed", Refused("not a valid RSS or Atom feed"), body=lambda b: b"<rss><<<&&&</"),
    Case("json-not-a-feed", "feed", Refused("JSON but not a JSON Feed"), content_type=JSON_FEED,
         body=lambda b: b'{"hello": "world"}'),
    Case("json-nested-deeply", "feed", Refused("not valid JSON"), content_type=JSON_FEED,
         body=lambda b: b"[" * 200_000 + b"]" * 200_000),
    Case("json-items-wrong-type", "feed", Refused("no items list"), content_type=JSON_FEED,
         body=lambda b: json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": "nope"}).encode()),
    # -- stored, with the right fields
    Case("comment-before-root-mentions-title-and-link", "feed", Stored(1, titles_are("Real entry")),
         content_type="text/html",  # a sloppy server type, too
         body=lambda b: rss(item("Real entry", f"{b}/c1", "c1"), head="<!-- <title>x</title> <link href='/'> -->")),
    Case("utf16-without-bom", "feed", Stored(1, titles_are("Crème brûlée à la française")),
         content_type="application/rss+xml",
         body=lambda b: rss(item("Crème brûlée à la française", f"{b}/u16", "u16"),
                            decl='<?xml version="1.0" encoding="utf-16"?>').decode().encode("utf-16-le")),
    Case("latin1-declared-as-utf8", "feed", Stored(1, titles_are("Déjà vu à Zürich")),
         body=lambda b: rss(item("Déjà vu à Zürich", f"{b}/l1", "l1")).decode().encode("latin-1")),
    Case("html-in-titles", "feed", Stored(1, titles_are("Bold move & more")),
         body=lambda b: rss(item("&lt;b&gt;Bold&lt;/b&gt; move &amp;amp; &lt;script&gt;more", f"{b}/h1", "h1"))),
    Case("javascript-links", "feed", Stored(1, http_links_only),
         body=lambda b: rss(item("Script link", "javascript:alert(1)", "js1",
                                 extra='<enclosure url="javascript:alert(2)" type="image/png"/>'))),
    Case("duplicate-guids-different-links", "feed",
         Stored(5, titles_are(*(f"Shared guid {n}" for n in range(5)))), body=five_links),
    Case("duplicate-guids-same-link", "feed", Stored(1, titles_are("Twice 0")),
         body=lambda b: rss("".join(item(f"Twice {n}", f"{b}/same", "dup") for n in range(2)))),
    Case("year-0001-date", "feed", Stored(1, no_dates),
         body=lambda b: rss(item("Ancient", f"{b}/y1", "y1", date="Mon, 01 Jan 0001 00:00:00 GMT"))),
    Case("year-9999-date", "feed", Stored(1, no_dates),
         body=lambda b: rss(item("Future", f"{b}/y9", "y9", date="Fri, 31 Dec 9999 23:59:59 GMT"))),
    Case("atom-year-0001-and-9999", "feed", Stored(2, no_dates), content_type=ATOM, body=lambda b: (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        f'<entry><title>Old</title><id>a1</id><link href="{b}/a1"/><updated>0001-01-01T00:00:00Z</updated>'
        f'<content type="text">{story(1)}</content></entry>'
        f'<entry><title>New</title><id>a2</id><link href="{b}/a2"/><published>9999-12-31T00:00:00Z</published>'
        f'<content type="text">{story(2)}</content></entry></feed>').encode()),
    Case("json-feed-wrong-types", "feed", Stored(1, titles_are("Fine title")), content_type=JSON_FEED,
         body=lambda b: json_feed([
             {"id": {"x": 1}, "url": ["no"], "title": 12345, "content_html": {"a": 1}, "date_published": 7},
             "not an item", 42, None,
             {"id": 99, "url": f"{b}/jt", "title": "Fine title", "content_text": STORY, "authors": "nobody",
              "date_published": "2026-11-24T10:00:00Z", "image": 5},
         ], title=["not", "a", "string"])),
    Case("json-title-80000-lt", "feed", Stored(1, titles_capped), content_type=JSON_FEED,
         body=lambda b: json_feed([{"id": "lt", "url": f"{b}/lt", "title": "<" * 80_000 + "end",
                                    "content_text": STORY}])),
    Case("json-lone-surrogate-and-nul", "feed", Stored(1, clean_text_fields), content_type=JSON_FEED,
         body=lambda b: (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "s", "url": "'
                         + f"{b}/s".encode() + b'", "title": "Bad \\ud800 title\\u0000 &#0; end", '
                         b'"content_text": "' + STORY.replace("\n", "\\n").replace('"', '\\"').encode()
                         + b' \\udfff"}]}')),
    Case("json-400KB-of-angle-titles", "feed", Stored(5, titles_capped), content_type=JSON_FEED,
         body=json_many(400_000)),
    Case("rss-title-40000-lt", "feed", Stored(1, titles_capped),
         body=lambda b: rss(item("&lt;" * 40_000, f"{b}/t40", "t40"))),
    Case("rss-1MB-title-and-author", "feed", Stored(1, lambda o: (titles_capped(o), author_capped(o))),
         body=lambda b: rss(item("Long " * 200_000, f"{b}/big", "big",
                                 extra=f"<author>{'Writer ' * 100_000}</author>"))),
    Case("nul-reference-in-title", "feed", Stored(1, lambda o: (clean_text_fields(o), titles_are("Nul here")(o))),
         body=lambda b: rss(item("Nul&#0; here", f"{b}/n0", "n0"))),
    Case("20000-bare-items", "feed", Stored(0), body=bare_items(20_000),
         note="read up to the entry cap; bare entries carry nothing to store"),
    Case("5MB-of-lt-in-a-description", "feed", Stored(1, titles_are("Angles")), body=many_lt_description(4_900_000)),
    Case("5MB-not-well-formed", "feed", Stored(1, titles_are("Raw")), body=raw_lt_feed(4_900_000),
         note="the loose parser reads only up to its byte and tag caps"),
    Case("relative-guid-after-redirect", "feed", Stored(1, relative_guid_against_subscribed_url),
         route="/c/moved", body=lambda b: rss(item("Moved", f"{b}/m1", "item-7"))),
    Case("description-of-100000-unclosed-p-tags", "feed", Stored(1, titles_are("Paragraphs")),
         body=lambda b: rss(f"<item><title>Paragraphs</title><link>{b}/none</link><guid>pp</guid>"
                            f"<description>{'&lt;p' * 100_000}</description></item>"),
         note="turned into text in one pass (the old block pattern rescanned to the end from every <p)"),
    Case("long-link", "feed", Stored(1, http_links_only),
         body=lambda b: rss(item("Long link", f"{b}/{'x' * 10_000}", "ll"))),
    # -- pages a normal entry links to: extracted within the budget, or the feed's text is used
    Case("page-meta-in-comment-200KB", "page", Stored(1, page_text_used), content_type=HTML,
         body=meta_comment_page(200_000)),
    Case("page-25000-links", "page", Stored(1, feed_text_used), content_type=HTML, body=many_links_page(25_000)),
    Case("page-100000-nested-divs", "page", Stored(1, feed_text_used), content_type=HTML, body=nested_page(100_000)),
    Case("page-3MB-article-then-junk", "page", Stored(1, page_text_used), content_type=HTML,
         body=big_article_page(3 * MB, article_first=True), note="cut to the markup cap, then to <article>"),
    Case("page-3MB-junk-then-article", "page", Stored(1, feed_text_used), content_type=HTML,
         body=big_article_page(3 * MB, article_first=False), note="the article lies past the markup cap"),
    Case("page-2.4MB-inline-script", "page", Stored(1, feed_text_used), content_type=HTML,
         body=lambda b: page("Script", "<script>" + "var a = '<div>';" * 150_000 + "</script>" + article_html()),
         note="150,000 tags inside the script: past the tag cap the script is unclosed, the page unused"),
    Case("page-1MB-title", "page", Stored(1, titles_are("Flood barrier approved")), content_type=HTML,
         body=lambda b: page("T" * MB, article_html())),
    Case("page-canonical-javascript", "page", Stored(1, http_links_only), content_type=HTML,
         body=lambda b: page("JS", article_html(), head='<link rel="canonical" href="javascript:alert(1)">'
                                                        '<meta property="og:image" content="javascript:x">')),
]
