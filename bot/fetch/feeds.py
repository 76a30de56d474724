"""Turns a fetched feed body (RSS, Atom or JSON Feed) into a `ParsedFeed`, or a `FeedError` to show a user.

Synchronous and CPU-bound: the caller runs it in a thread. Feeds in the wild are sloppy, so a feed that
is broken but still yields entries is accepted; only a body with nothing usable is an error, and the
error says what the URL actually is (a web page, an empty reply, not a feed) so /feed add can help.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import logging
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.models import FeedEntry, ParsedFeed

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ROOT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+%?\s*[\w.:-]+\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC))", re.I)
_ENTITY_REF = re.compile(rb"[&%][\w.:-]+;")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
_HTML_ROOTS = frozenset({b"html", b"head", b"body", b"meta", b"title", b"div", b"script", b"link"})
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
MAX_PARSED_ENTRIES = 10_000
"""Entries read from one body, before the newest `max_entries` are picked. feedparser holds every entry
in memory (5 MB of bare `<item/>` is 700,000 entries, ~400 MB and 20 s), so the rest of a longer feed is
cut off; feeds list newest first, so what is dropped is the oldest."""


class FeedError(Exception):
    """A body that is not a usable feed; `alternates` lists feed URLs found when it was a web page."""

    def __init__(self, reason: str, *, alternates: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternates = alternates


def clean_text(value: str | None) -> str:
    """Tags stripped, entities unescaped, whitespace collapsed: fit for a title or author line."""
    if not value:
        return ""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def _http_url(value: Any, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urljoin(base, value.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _strip_bom(body: bytes) -> bytes:
    return body[3:] if body.startswith(b"\xef\xbb\xbf") else body


def _check_entities(body: bytes) -> None:
    """Refuse entity declarations that could expand (billion laughs) or reach outside (XXE).

    feedparser drops DOCTYPEs before its strict parse and expat 2.4+ caps amplification, but a feed
    that declares nested or external entities has no honest reason to, so it is refused outright.
    """
    root = _ROOT.search(body)
    prolog = body[: root.start()] if root else body[:65536]
    for m in _ENTITY_DECL.finditer(prolog):
        value = m.group(1) or m.group(2) or b""
        if m.group(3) or _ENTITY_REF.search(value):
            raise FeedError("the feed declares nested or external XML entities; refused as unsafe")


class _AlternateFinder(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if "alternate" in a.get("rel", "").lower().split() and a.get("type", "").lower() in _FEED_TYPES:
            url = _http_url(a.get("href"), self.base)
            if url and url not in self.found:
                self.found.append(url)


def find_feed_links(page: bytes | str, *, url: str) -> tuple[str, ...]:
    """Feed URLs a web page advertises with <link rel="alternate" type="application/rss+xml" ...>."""
    text = page if isinstance(page, str) else page[:500_000].decode("utf-8", "replace")
    finder = _AlternateFinder(url)
    try:
        finder.feed(text)
    except Exception:  # html.parser is forgiving; never let a page break the error path
        log.debug("alternate-link scan failed for %s", url, exc_info=True)
    return tuple(finder.found)


def _looks_like_html(head: bytes, content_type: str | None) -> bool:
    root = _ROOT.search(head)
    if root is not None:
        name = re.match(rb"[A-Za-z_][\w:.-]*", head[root.start() + 1 :])
        return name is not None and name.group().lower() in _HTML_ROOTS
    is_html = (content_type or "").lower().startswith("text/html")
    return is_html and b"<rss" not in head and b"<feed" not in head


def parse_feed(body: bytes, *, url: str, content_type: str | None, max_entries: int) -> ParsedFeed:
    """Parse `body` fetched from `url`; entries newest first, at most `max_entries`."""
    body = _strip_bom(body)
    head = body[:4096].lstrip()
    if not head:
        raise FeedError("the feed is empty")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if head.startswith(b"{") or (ctype in ("application/feed+json", "application/json") and head[:1] != b"<"):
        return parse_json_feed(body, url=url, max_entries=max_entries)
    if _looks_like_html(head, ctype):
        alternates = find_feed_links(body, url=url)
        hint = f" (it links to {len(alternates)} feed(s))" if alternates else ""
        raise FeedError(f"this URL is a web page, not a feed{hint}", alternates=alternates)
    _check_entities(body)
    body = _cap_items(body, max(max_entries, MAX_PARSED_ENTRIES))
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    d = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    if d.bozo and not d.entries:
        exc = d.get("bozo_exception")
        detail = f": {exc}" if exc else ""
        raise FeedError(f"not a valid RSS or Atom feed{detail}")
    if not d.version and not d.entries:
        raise FeedError("this is not an RSS or Atom feed")
    if d.bozo:
        log.info("accepting sloppy feed %s: %s", url, d.get("bozo_exception"))
    entries = [e for e in (_safe_entry(_entry, raw, url) for raw in d.entries) if e is not None]
    return ParsedFeed(
        title=clean_text(d.feed.get("title")) or (urlsplit(url).hostname or url),
        site_url=_http_url(d.feed.get("link"), url),
        entries=_newest(entries, max_entries),
        format=d.version or "unknown",
    )


def _cap_items(body: bytes, cap: int) -> bytes:
    """`body` cut just before its (cap+1)th item/entry start tag; feedparser's loose parser reads the rest."""
    for i, m in enumerate(_ITEM_START.finditer(body)):
        if i == cap:
            log.info("feed body has more than %s entries; reading the first %s", cap, cap)
            return body[: m.start()]
    return body


def _safe_entry(build: Any, raw: Any, base: str) -> FeedEntry | None:
    """One entry, or None when its hostile or odd fields trip a bug: the feed's other entries still count."""
    try:
        entry: FeedEntry = build(raw, base)
        return entry
    except Exception:
        log.warning("skipped an unreadable entry in feed %s", base, exc_info=True)
        return None


def _newest(entries: list[FeedEntry], limit: int) -> tuple[FeedEntry, ...]:
    """Newest first; undated entries keep their feed order after the dated ones (feeds list newest
    first by convention)."""
    floor = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(enumerate(entries), key=lambda p: (-(p[1].published or floor).timestamp(), p[0]))
    if all(e.published is None for e in entries):
        ordered = list(enumerate(entries))
    return tuple(e for _, e in ordered[:limit])


def _struct_to_dt(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry(e: Any, base: str) -> FeedEntry:
    link = _http_url(e.get("link"), base)
    title = clean_text(e.get("title"))
    content = _best_content(e)
    guid = str(e.get("id") or "").strip() or link or _hash_guid(title, content)
    author = clean_text(e.get("author")) or None
    published = _struct_to_dt(e.get("published_parsed")) or _struct_to_dt(e.get("updated_parsed"))
    return FeedEntry(
        guid=guid, link=link, title=title or _title_from(content), published=published, author=author,
        content=content, image_url=_image(e, base),
    )


def _hash_guid(title: str, content: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()[:32]


def _title_from(content: str) -> str:
    text = clean_text(content)
    return text[:80].rsplit(" ", 1)[0] + "…" if len(text) > 80 else text


def _best_content(e: Any) -> str:
    """The fullest body the entry offers: content:encoded / atom:content over summary."""
    candidates = [c.get("value", "") for c in e.get("content") or [] if isinstance(c, dict)]
    candidates.append(e.get("summary") or "")
    return max(candidates, key=len).strip()


def _image(e: Any, base: str) -> str | None:
    for enc in e.get("enclosures") or []:
        url = _http_url(enc.get("href") or enc.get("url"), base)
        if url and str(enc.get("type", "")).startswith("image/"):
            return url
    for thumb in e.get("media_thumbnail") or []:
        if url := _http_url(thumb.get("url"), base):
            return url
    for media in e.get("media_content") or []:
        kind = str(media.get("medium") or media.get("type") or "")
        url = _http_url(media.get("url"), base)
        if url and (kind == "image" or kind.startswith("image/")):
            return url
    image = e.get("image")
    if isinstance(image, dict):
        return _http_url(image.get("href") or image.get("url"), base)
    return None


# -- JSON Feed ---------------------------------------------------------------------------------------


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 is before datetime.min in UTC
        return None


def _json_author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [clean_text(a["name"]) for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        if any(names):
            return ", ".join(n for n in names if n)
    author = item.get("author")  # JSON Feed 1.0
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        return clean_text(author["name"]) or None
    return None


def parse_json_feed(body: bytes, *, url: str, max_entries: int) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1); small enough not to need a library."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise FeedError("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(JSON_FEED_PREFIX):
        raise FeedError("this is JSON but not a JSON Feed")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("the JSON Feed has no items list")
    items = [item for item in items if isinstance(item, dict)][: max(max_entries, MAX_PARSED_ENTRIES)]
    entries = [e for e in (_safe_entry(_json_entry, item, url) for item in items) if e is not None]
    return ParsedFeed(
        title=clean_text(doc.get("title") if isinstance(doc.get("title"), str) else "")
        or (urlsplit(url).hostname or url),
        site_url=_http_url(doc.get("home_page_url"), url),
        entries=_newest(entries, max_entries),
        format="json1",
    )


def _json_entry(item: dict[str, Any], url: str) -> FeedEntry:
    link = _http_url(item.get("url"), url) or _http_url(item.get("external_url"), url)
    title = clean_text(item.get("title") if isinstance(item.get("title"), str) else "")
    bodies = (item.get(k) for k in ("content_html", "content_text", "summary"))
    content = next((v for v in bodies if isinstance(v, str) and v), "")
    raw_id = item.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, str | int | float) else ""
    image = _http_url(item.get("image"), url) or _http_url(item.get("banner_image"), url)
    return FeedEntry(
        guid=guid or link or _hash_guid(title, content),
        link=link,
        title=title or _title_from(content),
        published=_iso(item.get("date_published")) or _iso(item.get("date_modified")),
        author=_json_author(item),
        content=content,
        image_url=image,
    )
