"""A small news site on 127.0.0.1 for tests and benchmarks: articles, feeds and hostile routes.

It is a real aiohttp server so that the code under test runs its real HTTP stack (headers, gzip,
conditional GET, redirects, streaming) instead of a mock that agrees with whatever the code expects.

    async with NewsSite() as site:
        site.add_article("moon", "Moon landing", "First paragraph.\n\nSecond paragraph.")
        feed_url = site.set_feed("/feed.xml", kind="rss", entries=["moon"])
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.newsite_feeds import FeedItem, render_atom, render_json, render_rss
from tests.newsite_payloads import (
    BILLION_LAUGHS,
    BOZO_WITH_ENTRIES,
    MALFORMED,
    NON_UTF8,
    gzip_bomb,
    many_entries_rss,
)

log = logging.getLogger(__name__)
__all__ = ["HUGE_BYTES", "Article", "FeedItem", "NewsSite"]

HUGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    text: str
    published: datetime
    author: str | None = None
    image: str | None = None
    description: str | None = None


@dataclass(slots=True)
class _Fault:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Resource:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    headers: dict[str, str] = field(default_factory=dict)


class NewsSite:
    """Loopback news site; see the module docstring. Routes are resolved at request time, so a test
    can add articles, change feeds and inject faults while the server runs."""

    def __init__(self, *, site_name: str = "Loopback News", gzip_responses: bool = True) -> None:
        self.site_name = site_name
        self.gzip_responses = gzip_responses
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.drip_writes = 0  # bytes the endless slow body (/hostile/slow) has sent
        self.articles: dict[str, Article] = {}
        self._resources: dict[str, _Resource] = {}
        self._redirects: dict[str, tuple[str, int]] = {}
        self._faults: dict[str, _Fault] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.app = web.Application(middlewares=[self._record])
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    # -- content -------------------------------------------------------------------------------------
    def add_article(
        self,
        slug: str,
        title: str,
        text: str,
        *,
        published: datetime | None = None,
        author: str | None = None,
        image: str | None = None,
        description: str | None = None,
    ) -> str:
        """Publish an HTML article page (paragraphs split on blank lines) and return its URL."""
        art = Article(slug, title, text, published or datetime.now(UTC), author, image, description)
        self.articles[slug] = art
        self.set_raw(f"/articles/{slug}", self._article_html(art).encode(), "text/html; charset=utf-8")
        return self.url(f"/articles/{slug}")

    def _article_html(self, a: Article) -> str:
        e = html.escape
        paras = "\n".join(f"<p>{e(p.strip())}</p>" for p in a.text.split("\n\n") if p.strip())
        url = self.url(f"/articles/{a.slug}")
        image = a.image or self.url(f"/images/{a.slug}.jpg")
        desc = a.description or a.text.split("\n\n")[0][:200]
        author_meta = f'<meta name="author" content="{e(a.author)}">' if a.author else ""
        byline = f'<p class="byline">By <span class="author">{e(a.author)}</span></p>' if a.author else ""
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(a.title)} | {e(self.site_name)}</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{e(a.title)}">
<meta property="og:type" content="article">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{e(image)}">
<meta property="og:site_name" content="{e(self.site_name)}">
<meta property="og:description" content="{e(desc)}">
<meta property="article:published_time" content="{a.published.isoformat()}">
{author_meta}
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<main><article>
<h1>{e(a.title)}</h1>
{byline}
<time datetime="{a.published.isoformat()}">{a.published:%d %B %Y}</time>
{paras}
</article></main>
<footer><p>© {e(self.site_name)}. All rights reserved.</p></footer>
</body></html>"""

    def set_feed(
        self,
        path: str,
        *,
        kind: str = "rss",
        entries: Sequence[str | FeedItem] = (),
        title: str | None = None,
    ) -> str:
        """Serve a feed at `path` whose entries are article slugs or `FeedItem`s; returns its URL."""
        items = [self._item(e) for e in entries]
        feed_title = title or self.site_name
        home, self_url = self.url("/"), self.url(path)
        if kind == "rss":
            body, ctype = render_rss(feed_title, home, items), "application/rss+xml; charset=utf-8"
        elif kind == "atom":
            body, ctype = render_atom(feed_title, home, self_url, items), "application/atom+xml; charset=utf-8"
        elif kind == "json":
            body, ctype = render_json(feed_title, home, self_url, items), "application/feed+json"
        else:
            raise ValueError(f"unknown feed kind {kind!r}")
        self.set_raw(path, body, ctype)
        return self.url(path)

    def set_raw(
        self, path: str, body: bytes, content_type: str, *, headers: dict[str, str] | None = None
    ) -> str:
        """Serve fixed bytes at `path` with ETag/Last-Modified and conditional GET."""
        path = "/" + path.lstrip("/")
        old = self._resources.get(path)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        now = datetime.now(UTC).replace(microsecond=0)
        if old is not None and old.etag == etag:
            now = old.last_modified
        elif old is not None and now <= old.last_modified:
            now = old.last_modified + timedelta(seconds=1)  # changes within a second still revalidate
        self._resources[path] = _Resource(body, content_type, etag, now, dict(headers or {}))
        return self.url(path)

    def remove(self, path: str) -> None:
        self._resources.pop("/" + path.lstrip("/"), None)

    def redirect(self, path: str, target: str, *, status: int = 301) -> str:
        self._redirects["/" + path.lstrip("/")] = (target, status)
        return self.url(path)

    def fail(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests for `path` with `status` instead of the content."""
        self._faults["/" + path.lstrip("/")] = _Fault(status, times, dict(headers or {}))

    def _item(self, entry: str | FeedItem) -> FeedItem:
        if isinstance(entry, FeedItem):
            return entry
        a = self.articles[entry]
        link = self.url(f"/articles/{a.slug}")
        return FeedItem(
            guid=f"{self.url('/')}#{a.slug}", title=a.title, link=link,
            content=a.description or a.text.split("\n\n")[0], published=a.published, author=a.author,
            image=a.image or self.url(f"/images/{a.slug}.jpg"),
        )

    # -- serving -------------------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs, dict(request.headers)))
        self.hits[request.path] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            resp: web.StreamResponse = await handler(request)
            return resp
        finally:
            self.in_flight -= 1

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        fault = self._faults.get(path)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            return web.Response(status=fault.status, text=f"injected {fault.status}", headers=fault.headers)
        if path in self._redirects:
            target, status = self._redirects[path]
            return web.Response(status=status, headers={"Location": target})
        if path.startswith("/hostile/"):
            return await self._hostile(request, path.removeprefix("/hostile/"))
        if path == "/delay":
            await asyncio.sleep(float(request.query.get("ms", "100")) / 1000)
            return web.Response(text="done")
        res = self._resources.get(path)
        if res is None:
            return web.Response(status=404, text="not found")
        return self._serve(request, res)

    def _serve(self, request: web.Request, res: _Resource) -> web.Response:
        validators = {"ETag": res.etag, "Last-Modified": format_datetime(res.last_modified, usegmt=True)}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if inm is not None:
            if res.etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return web.Response(status=304, headers=validators)
        elif ims is not None:
            try:
                if res.last_modified <= parsedate_to_datetime(ims):
                    return web.Response(status=304, headers=validators)
            except (TypeError, ValueError):
                pass
        headers = {**validators, **res.headers, "Content-Type": res.content_type}
        body = res.body
        if self.gzip_responses and "gzip" in request.headers.get("Accept-Encoding", "") and len(body) > 200:
            body = gzip.compress(body, 5)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)

    async def _hostile(self, request: web.Request, name: str) -> web.StreamResponse:
        xml = "application/rss+xml"
        if name == "malformed.xml":
            return web.Response(body=MALFORMED, content_type=xml)
        if name == "bozo-entries.xml":
            return web.Response(body=BOZO_WITH_ENTRIES, content_type=xml)
        if name == "html-as-feed":
            page = (
                "<!DOCTYPE html><html><head><title>Home</title>"
                '<link rel="alternate" type="application/rss+xml" title="RSS" '
                f'href="{self.url("/feed.xml")}">'
                '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
                "</head><body><p>Welcome</p></body></html>"
            )
            return web.Response(text=page, content_type="text/html")
        if name == "non-utf8.xml":
            return web.Response(body=NON_UTF8, headers={"Content-Type": xml})
        if name == "billion-laughs.xml":
            return web.Response(body=BILLION_LAUGHS, content_type=xml)
        if name == "10k-entries.xml":
            return web.Response(body=many_entries_rss(), content_type=xml)
        if name == "gzip-bomb":
            return web.Response(body=gzip_bomb(), headers={"Content-Encoding": "gzip", "Content-Type": xml})
        if name in ("huge", "huge-declared"):
            return await self._stream_huge(request, declared=name == "huge-declared")
        if name == "slow":
            return await self._drip(request)
        if name in ("403", "500"):
            return web.Response(status=int(name), text=name)
        if name == "429":
            return web.Response(status=429, text="slow down", headers={"Retry-After": "120"})
        if name == "redirect-loop":
            nxt = "b" if request.query.get("n", "a") == "a" else "a"
            return web.Response(status=302, headers={"Location": f"/hostile/redirect-loop?n={nxt}"})
        if name == "slow-redirect":  # waits `ms`, then redirects to itself until `n` reaches 0
            await asyncio.sleep(float(request.query.get("ms", "100")) / 1000)
            n = int(request.query.get("n", "0"))
            if n <= 0:
                return web.Response(text="arrived")
            loc = f"/hostile/slow-redirect?n={n - 1}&ms={request.query.get('ms', '100')}"
            return web.Response(status=302, headers={"Location": loc})
        if name == "redirect-to-private":
            return web.Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        return web.Response(status=404, text="no such hostile route")

    async def _stream_huge(self, request: web.Request, *, declared: bool) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        if declared:
            resp.content_length = HUGE_BYTES
        await resp.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(HUGE_BYTES // len(chunk)):
                if self._closing.is_set():
                    break
                await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client gave up, as it should
        return resp

    async def _drip(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        try:
            while not self._closing.is_set():
                await resp.write(b"<")
                self.drip_writes += 1
                try:
                    await asyncio.wait_for(self._closing.wait(), 1.0)
                except TimeoutError:
                    pass
        except (ConnectionError, RuntimeError):
            pass
        return resp
