"""Turns a fetched feed body (RSS, Atom or JSON Feed) into a `ParsedFeed`, or a `FeedError` to show a user.

Synchronous and CPU-bound: the caller runs it in a thread. Feeds in the wild are sloppy, so a feed that
is broken but still yields entries is accepted; only a body with nothing usable is an error, and the
error says what the URL actually is (a web page, an empty reply, not a feed) so /feed add can help.
"""

from __future__ import annotations

import codecs
import html.entities
import logging
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.parsers import expat

import feedparser

from bot.fetch.feedentries import (
    MAX_PARSED_ENTRIES,
    FeedError,
    key_entries,
    newest,
)
from bot.fetch.fields import (
    clean_text,
    http_url,
)
from bot.fetch.jsonfeed import JSON_FEED_PREFIX, parse_json_feed
from bot.fetch.rssentries import rss_entry, safe_entry
from bot.models import ParsedFeed

__all__ = [
    "JSON_FEED_PREFIX",
    "MAX_PARSED_ENTRIES",
    "MAX_PARSE_BYTES",
    "FeedError",
    "clean_text",
    "find_feed_links",
    "parse_feed",
    "parse_json_feed",
]

log = logging.getLogger(__name__)

_NAME = re.compile(rb"[A-Za-z_][\w:.-]{0,64}")
_ENTITY_RISK = re.compile(rb"[&%]|SYSTEM|PUBLIC", re.I)
MAX_PROLOG_BYTES = 65_536
MAX_PARSE_BYTES = 512_000
LOOSE_PARSE_BYTES = 64_000
LOOSE_PARSE_TAGS = 1_500
MAX_TEXT_RUN_BYTES = 64_000
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
_HTML_ROOTS = frozenset({b"html", b"head", b"body", b"meta", b"title", b"div", b"script", b"link"})
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
def _strip_bom(body: bytes) -> bytes:
    return body[3:] if body.startswith(b"\xef\xbb\xbf") else body


def root_start(body: bytes, limit: int = MAX_PROLOG_BYTES) -> int | None:
    """Offset of the root element's `<`, skipping the XML declaration, comments, processing
    instructions and the DOCTYPE (a comment mentioning `<title` or `<link` is not the root); None when
    there is no element start within `limit` bytes. One forward pass with str.find: linear."""
    pos, end = 0, min(len(body), limit)
    while pos < end:
        lt = body.find(b"<", pos, end)
        if lt < 0:
            return None
        if body.startswith(b"<!--", lt):
            close = body.find(b"-->", lt + 4)
            pos = close + 3 if close >= 0 else end
        elif body.startswith(b"<?", lt):
            close = body.find(b"?>", lt + 2)
            pos = close + 2 if close >= 0 else end
        elif body.startswith(b"<!", lt):
            close = body.find(b">", lt + 2)
            bracket = body.find(b"[", lt + 2, close if close >= 0 else end)
            if bracket >= 0:  # internal subset: ends at "]>"
                close = body.find(b"]", bracket)
                close = body.find(b">", close) if close >= 0 else -1
            pos = close + 1 if close >= 0 else end
        elif _NAME.match(body, lt + 1):
            return lt
        else:
            pos = lt + 1
    return None


def _root_name(body: bytes) -> bytes | None:
    start = root_start(body)
    if start is None:
        return None
    m = _NAME.match(body, start + 1)
    return m.group().lower() if m else None


def _check_entities(body: bytes) -> None:
    """Refuse entity declarations that could expand (billion laughs) or reach outside (XXE).

    feedparser drops DOCTYPEs before its strict parse and expat 2.4+ caps amplification, but a feed
    that declares nested or external entities has no honest reason to, so it is refused outright, as is
    a prolog too long to check.
    """
    start = root_start(body)
    if start is None and len(body) > MAX_PROLOG_BYTES:
        raise FeedError("the feed's prolog is longer than 64 KB; refused as unsafe")
    prolog = body[: start if start is not None else MAX_PROLOG_BYTES]
    pos = prolog.find(b"<!ENTITY")
    while pos >= 0:
        nxt = prolog.find(b"<!", pos + 8)
        if _ENTITY_RISK.search(prolog, pos + 8, nxt if nxt >= 0 else len(prolog)):
            raise FeedError("the feed declares nested or external XML entities; refused as unsafe")
        pos = prolog.find(b"<!ENTITY", pos + 8)


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
            url = http_url(a.get("href"), self.base)
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


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    name = _root_name(body)
    if name is not None:
        return name in _HTML_ROOTS
    head = body[:4096]
    is_html = (content_type or "").lower().startswith("text/html")
    return is_html and b"<rss" not in head and b"<feed" not in head


def parse_feed(body: bytes, *, url: str, content_type: str | None, max_entries: int,
               id_base: str | None = None) -> ParsedFeed:
    """Parse `body` fetched from `url`; entries newest first, at most `max_entries`.

    Relative links resolve against `url` (where the body came from); relative ids against `id_base`,
    the feed URL as subscribed, so an entry keeps its id when the feed redirects somewhere new.
    """
    body, content_type = _as_utf8(_strip_bom(body), content_type)
    head = body[:4096].lstrip()
    if not head:
        raise FeedError("the feed is empty")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if head.startswith(b"{") or (ctype in ("application/feed+json", "application/json") and head[:1] != b"<"):
        return parse_json_feed(body, url=url, max_entries=max_entries)
    if _looks_like_html(body, ctype):
        alternates = find_feed_links(body, url=url)
        hint = f" (it links to {len(alternates)} feed(s))" if alternates else ""
        raise FeedError(f"this URL is a web page, not a feed{hint}", alternates=alternates)
    _check_entities(body)
    body = bounded_body(body, max(max_entries, MAX_PARSED_ENTRIES))
    headers = {"content-type": content_type} if content_type else {}
    # No content-location: feedparser would resolve ids against it (the post-redirect URL). Links and ids
    # are resolved here instead. No sanitizing either: titles are stripped to text here and content is
    # turned into text by lxml (bot.fetch.htmltext), so feedparser's regex pass over every field is waste.
    d = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    if d.bozo and not d.entries:
        exc = d.get("bozo_exception")
        detail = f": {str(exc)[:200]}" if exc else ""
        raise FeedError(f"not a valid RSS or Atom feed{detail}")
    if not d.version and not d.entries:
        raise FeedError("this is not an RSS or Atom feed")
    if d.bozo:
        log.info("accepting sloppy feed %s: %.200s", url, d.get("bozo_exception"))
    bases = (url, id_base or url)
    entries = [e for e in (safe_entry(rss_entry, raw, bases) for raw in d.entries) if e is not None]
    return ParsedFeed(
        title=clean_text(d.feed.get("title")) or (urlsplit(url).hostname or url),
        site_url=http_url(d.feed.get("link"), url),
        entries=newest(key_entries(entries), max_entries),
        format=d.version or "unknown",
    )


_UTF16 = ((b"\xff\xfe", "utf-16-le", 2), (b"\xfe\xff", "utf-16-be", 2),
          (b"<\x00", "utf-16-le", 0), (b"\x00<", "utf-16-be", 0))
_XML_ENCODING = re.compile(rb"""(<\?xml[^<>]{0,200}?encoding\s*=\s*["'])[A-Za-z0-9._-]{1,40}(["'])""")


def _as_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """The body as UTF-8 with a matching declaration and header: UTF-16 with or without BOM, any
    declared charset Python knows, and bytes that are not the UTF-8 they claim (read as windows-1252,
    as feedparser would). Expat, which checks well-formedness here, knows only a few encodings, and the
    byte-level checks here need to see the markup."""
    codec = None
    for mark, name, skip in _UTF16:
        if body.startswith(mark):
            codec, body = name, body[skip:]
            break
    if codec is None:
        codec = _declared_codec(body[:300], content_type)
    if codec in (None, "utf-8", "ascii"):
        try:
            body.decode("utf-8")
            return body, content_type
        except UnicodeDecodeError:
            codec = "cp1252"
    assert codec is not None
    utf8 = body.decode(codec, "replace").encode("utf-8")
    utf8 = _XML_ENCODING.sub(rb"\1utf-8\2", utf8[:300], count=1) + utf8[300:]
    mime = (content_type or "application/xml").split(";")[0].strip()
    return utf8, f"{mime}; charset=utf-8"


def _declared_codec(head: bytes, content_type: str | None) -> str | None:
    names = []
    m = _XML_ENCODING.search(head)
    if m:
        names.append(head[m.end(1) : m.start(2)].decode("ascii", "ignore"))
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            names.insert(0, value.strip().strip("\"'"))  # the header wins, as in HTTP
    for name in names:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def bounded_body(body: bytes, max_items: int) -> bytes:
    """What feedparser gets: at most `max_items` entries and MAX_PARSE_BYTES, cut at an entry start and
    closed again so that it stays well-formed; a body that is not well-formed gets only
    LOOSE_PARSE_BYTES and LOOSE_PARSE_TAGS, because feedparser's loose parser is slow (about 20 µs a tag).

    feedparser runs in a worker thread that no timeout can stop, so its input size is its time bound.
    """
    closing = _closing_tags(_root_name(body))
    body = _cut(cap_text_runs(body, MAX_TEXT_RUN_BYTES), max_items, MAX_PARSE_BYTES, closing)
    if not _well_formed(body):
        body = _repair_entities(body)  # `&nbsp;` and a bare `&`: the usual sloppiness, made strict XML
        if not _well_formed(body):
            limit = _loose_limit(body)
            if len(body) > limit:
                log.info("feed body is not well-formed XML; reading its first %s bytes", limit)
                body = _cut(body, max_items, limit, closing)
    return body


def _loose_limit(body: bytes) -> int:
    """Bytes of a malformed body the loose parser gets: LOOSE_PARSE_BYTES, and no more than
    LOOSE_PARSE_TAGS tags (it spends about 20 microseconds on each)."""
    for i, m in enumerate(re.finditer(rb"<", body[:LOOSE_PARSE_BYTES])):
        if i == LOOSE_PARSE_TAGS:
            return m.start()
    return LOOSE_PARSE_BYTES


def cap_text_runs(body: bytes, limit: int) -> bytes:
    """`body` with every run of text between tags cut to `limit` bytes (at a character boundary, never
    inside an entity), so one megabyte title cannot push the entries past the parse cap.

    Only windows of limit/2 bytes without a `<` can lie inside a long run, so the scan probes one
    window per limit/2 bytes with bytes.find (C speed) instead of walking every tag in Python.
    """
    step = limit // 2
    if len(body) <= limit:
        return body
    parts: list[bytes] = []
    done = 0  # body[:done] is copied to parts already
    probe = 0
    while probe < len(body):
        if body.find(b"<", probe, probe + step) >= 0:
            probe += step
            continue
        start = body.rfind(b">", done, probe) + 1 or max(done, 0)
        end = body.find(b"<", probe)
        end = len(body) if end < 0 else end
        if end - start > limit:
            cut = _safe_cut(body, start + limit, start)
            parts.append(body[done:cut])
            done = end
        probe = end + 1
    parts.append(body[done:])
    return b"".join(parts)


def _safe_cut(body: bytes, cut: int, floor: int) -> int:
    while cut > floor and body[cut] & 0xC0 == 0x80:  # not inside a UTF-8 sequence
        cut -= 1
    amp = body.rfind(b"&", max(floor, cut - 12), cut)
    if amp >= 0 and body.find(b";", amp, cut) < 0:  # not inside an entity reference
        cut = amp
    return cut


_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,8}|#x[0-9A-Fa-f]{1,8});)")
_NAMED = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_XML_NAMED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _repair_entities(body: bytes) -> bytes:
    def named(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name in _XML_NAMED:
            return m.group(0)
        char = html.entities.html5.get(name.decode("ascii") + ";")
        return b"".join(b"&#%d;" % ord(c) for c in char) if char else b"&amp;" + name + b";"

    return _NAMED.sub(named, _AMP.sub(b"&amp;", body))


def _cut(body: bytes, max_items: int, max_bytes: int, closing: bytes) -> bytes:
    starts = 0
    last = None
    for i, m in enumerate(_ITEM_START.finditer(body, 0, min(len(body), max_bytes + 1))):
        if i == max_items:
            log.info("feed body has more than %s entries; reading the first %s", max_items, max_items)
            return body[: m.start()] + closing
        last, starts = m.start(), i + 1
    if len(body) <= max_bytes:
        return body
    # Cut before the last entry that starts within the cap; when that is the first, the first entry
    # alone is bigger than the cap and is cut inside (the loose parser reads what is left of it).
    return body[: last if last and starts > 1 else max_bytes] + closing


def _closing_tags(root: bytes | None) -> bytes:
    if root is None:
        return b""
    return (b"</channel>" if root == b"rss" else b"") + b"</" + root + b">"


def _well_formed(body: bytes) -> bool:
    parser = expat.ParserCreate()
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        return False
    return True
