"""Caps before patterns (issue 9 items 3 and 12): what each field and each parser is handed is bounded,
asserted by sizes rather than by the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import lxml.html

from bot.fetch import extract
from bot.fetch.extract import MAX_TAGS, extract_article
from bot.fetch.feeds import parse_feed
from bot.fetch.fields import (
    MARKUP_FACTOR,
    MAX_AUTHOR_CHARS,
    MAX_CONTENT_CHARS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    clean_text,
    entry_id,
    http_url,
    plausible_date,
    scrub,
)
from bot.fetch.htmltext import MAX_HTML_CHARS, html_to_text


def test_clean_text_reads_a_bounded_prefix_and_returns_a_capped_title() -> None:
    assert len(clean_text("<" * 80_000 + "tail")) <= MAX_TITLE_CHARS
    assert clean_text("x" * (MAX_TITLE_CHARS * MARKUP_FACTOR) + "TAIL").endswith("x")  # the tail is never read
    assert clean_text("Nul&#0; and \x00 and \ud800 here") == "Nul and and here"
    assert clean_text("<b>Bold</b> &amp; <i>x</i>") == "Bold & x"
    assert clean_text(12345) == "" and clean_text(["a"]) == ""  # JSON Feed's wrong types


def test_ids_urls_content_and_dates() -> None:
    assert entry_id("item-7", "http://old.example/feed/") == "http://old.example/feed/item-7"
    assert entry_id("tag:x.org,2024:1", "http://old.example/") == "tag:x.org,2024:1"
    assert entry_id(7, None) == "7" and entry_id(True, None) == "" and entry_id({"a": 1}, None) == ""
    long = entry_id("x" * 10_000, None)
    assert long.startswith("sha256:") and len(long) < MAX_ID_CHARS
    assert http_url("javascript:alert(1)", "http://e.x/") is None
    assert http_url("/a" * 5_000, "http://e.x/") is None
    assert http_url("/ok", "http://e.x/") == "http://e.x/ok"
    assert len(scrub("a\x00b" * MAX_CONTENT_CHARS, MAX_CONTENT_CHARS)) < MAX_CONTENT_CHARS
    assert plausible_date(datetime(1, 1, 1, tzinfo=UTC)) is None
    assert plausible_date(datetime(9999, 12, 31, tzinfo=UTC)) is None
    assert plausible_date(datetime(2024, 5, 1, tzinfo=UTC)) == datetime(2024, 5, 1, tzinfo=UTC)


def test_every_feed_field_is_capped() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [{
        "id": "i", "url": "http://e.x/1", "title": "<" * 80_000, "content_text": "y" * 1_000_000,
        "authors": [{"name": "Writer " * 10_000}] * 50}]}
    [entry] = parse_feed(json.dumps(doc).encode(), url="http://e.x/f", content_type=None, max_entries=5).entries
    assert len(entry.title) <= MAX_TITLE_CHARS and len(entry.content) <= MAX_CONTENT_CHARS
    assert entry.author is not None and len(entry.author) <= MAX_AUTHOR_CHARS
    rss = (b'<rss version="2.0"><channel><title>t</title><item><title>' + b"Long " * 200_000
           + b"</title><link>http://e.x/1</link><author>" + b"W " * 500_000 + b"</author></item></channel></rss>")
    [entry] = parse_feed(rss, url="http://e.x/f", content_type=None, max_entries=5).entries
    assert len(entry.title) <= MAX_TITLE_CHARS and entry.author is not None and len(entry.author) <= MAX_AUTHOR_CHARS
    assert entry.link == "http://e.x/1", "a megabyte title no longer pushes the rest of the entry out"


def test_five_entries_sharing_one_guid_are_five() -> None:
    items = "".join(f"<item><title>T{n}</title><link>http://e.x/{n}</link><guid>same</guid></item>" for n in range(5))
    body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    entries = parse_feed(body, url="http://e.x/f", content_type=None, max_entries=50).entries
    assert len({e.guid for e in entries}) == 5
    lone = parse_feed(body.replace(b"<guid>same</guid>", b"", 4), url="http://e.x/f", content_type=None,
                      max_entries=50).entries
    assert "same" in {e.guid.rsplit("/", 1)[-1] for e in lone}, "a guid used once keeps its plain form"


def test_comment_before_the_root_is_not_a_web_page() -> None:
    body = (b'<?xml version="1.0"?><!-- <title>old</title> <link rel="x" href="/"> -->'
            b'<rss version="2.0"><channel><title>T</title><item><title>A</title><link>http://e.x/a</link></item>'
            b"</channel></rss>")
    feed = parse_feed(body, url="http://e.x/f", content_type="text/html", max_entries=5)
    assert [e.title for e in feed.entries] == ["A"]


def test_the_html_parser_gets_a_bounded_number_of_tags(monkeypatch) -> None:
    handed: list[str] = []
    real = lxml.html.document_fromstring
    monkeypatch.setattr(extract.lxml.html, "document_fromstring", lambda html, *a, **k: (handed.append(html),
                                                                                        real(html, *a, **k))[1])
    comment = "<!-- " + "<meta " * 40_000 + " -->"
    article = "<article><h1>T</h1>" + "<p>" + "Words of the story. " * 40 + "</p>" * 1 + "</article>"
    page = f"<html><head><title>T</title></head><body>{comment}{'<div>x</div>' * 30_000}{article}</body></html>"
    extract_article(page.encode(), url="http://e.x/a")
    [html] = handed
    assert html.count("<") <= MAX_TAGS and "<meta" not in html, "comments dropped, tags capped before lxml"


def test_entry_markup_turned_into_text_is_capped() -> None:
    assert len(html_to_text("word " * 200_000)) <= MAX_HTML_CHARS
    assert html_to_text("<p" * 100_000) == ""  # unclosed tags: no text, one pass
    assert html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo"


def test_a_long_feed_in_a_charset_expat_lacks_still_parses_whole() -> None:
    # Expat checks well-formedness before parsing and knows few charsets: a windows-1251 feed must be
    # transcoded first, not taken for malformed and cut to the loose parser's small cap.
    items = "".join(f"<item><title>Новость {n}</title><link>http://e.x/{n}</link><description>"
                    f"{'Текст новости. ' * 20}</description></item>" for n in range(400))
    body = (f'<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Лента</title>'
            f"{items}</channel></rss>").encode("cp1251")
    assert len(body) > 100_000
    feed = parse_feed(body, url="http://e.x/f", content_type="application/rss+xml", max_entries=500)
    assert feed.title == "Лента" and len(feed.entries) == 400
