"""The terminal's own commands: `summarize` and `feeds add|list|remove` (the console "channel").

Each failure a user can cause ends in one line that says what to do next, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings
from bot.errors import EXIT_OK, CommandError
from bot.status import plural

if TYPE_CHECKING:
    from bot.fetch.net import FetchResponse
    from bot.models import ParsedFeed

log = logging.getLogger(__name__)

MAX_INPUT_BYTES = 20_000_000
PRIVATE_HINT = ("; to allow local or private addresses set `allow_private_addresses = true` under [net] in the "
                "config (net.allow_private_addresses), or NEWSBOT_NET__ALLOW_PRIVATE_ADDRESSES=true")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml",
              "application/xml", "text/xml")


def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:
    import summaries
    from bot.console import summary_markdown, terminal, without_controls
    from bot.pipeline.ingest import summarize_text

    bullets = args.bullets if args.bullets is not None else settings.summary.bullets
    if not 1 <= bullets <= 10:
        raise ConfigError("--bullets must be between 1 and 10")
    algorithm = args.algorithm or settings.summary.algorithm
    if algorithm not in summaries.ALGORITHMS:
        raise ConfigError(f"--algorithm must be one of {', '.join(summaries.ALGORITHMS)}")
    summary_settings = dataclasses.replace(
        settings.summary, bullets=bullets, algorithm=algorithm,
        language=args.language or settings.summary.language,
    )
    settings = dataclasses.replace(settings, summary=summary_settings)
    title, url, text, language = read_source(args.source, settings)
    try:
        summary = summarize_text(text, title=title, settings=settings,
                                 language_code=None if args.language else language)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not summary.bullets:
        raise CommandError(f"{args.source}: found no sentences to summarize")
    if args.json:
        payload = {
            "title": title, "url": url, "bullets": list(summary.bullets),
            "quotes": [{"text": q.text, "speaker": q.speaker} for q in summary.quotes],
            "language": summary.language, "word_count": summary.word_count,
            "reading_minutes": summary.reading_minutes, "reduction": round(summary.reduction, 4),
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    markdown = without_controls(summary_markdown(summary, title=title, url=url))
    console = terminal()
    if console is not None:
        from rich.markdown import Markdown

        console.print(Markdown(markdown, hyperlinks=True))
    else:
        print(markdown, end="")
    return EXIT_OK


def read_source(source: str, settings: Settings) -> tuple[str | None, str | None, str, str | None]:
    """(title, url, text, language code) from a URL, a file or stdin; HTML is extracted like a page."""
    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch_article(source, settings))
    if source == "-":
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if path.is_dir():
            raise CommandError(f"{source}: is a directory; give an article file, an http(s) URL, or - for stdin")
        if not path.is_file():
            raise CommandError(f"{source}: no such file (give a file, an http(s) URL, or - for stdin)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    return text_from_bytes(raw, source)


def text_from_bytes(raw: bytes, source: str) -> tuple[str | None, str | None, str, str | None]:
    from bot.fetch.extract import extract_article
    from bot.fetch.htmltext import html_to_text

    if len(raw) > MAX_INPUT_BYTES:
        raise CommandError(f"{source}: input is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    if not raw.strip():
        raise CommandError(f"{source}: is empty; there is nothing to summarize")
    if b"\0" in raw[:8192]:
        raise CommandError(f"{source}: looks like a binary file, not text or HTML")
    text = raw.decode("utf-8", errors="replace")
    if text.count("\ufffd") > max(20, len(text) // 100):
        raise CommandError(f"{source}: is not UTF-8 text (convert it first, e.g. with iconv)")
    head = text[:5000].lower()
    if "<html" in head[:2000] or "<body" in head:
        page = extract_article(raw, url=source if source != "-" else "file:///stdin")
        if page is None or not page.text.strip():
            raise CommandError(f"{source}: no article text found in this HTML")
        return page.title, None, page.text, page.language
    if "<" in text:
        text = html_to_text(text)
    title, body = split_headline(text)
    return title, None, body, None


def split_headline(text: str) -> tuple[str | None, str]:
    """A plain-text article's first line is its headline when it reads like one: short, no final full stop,
    set apart by a blank line. It is kept as the title instead of being summarized as a sentence."""
    first, _, rest = text.strip().partition("\n")
    headline = first.strip().lstrip("#").strip()
    set_apart = rest.lstrip(" \t\r").startswith("\n")
    if set_apart and 0 < len(headline) <= 150 and headline[-1] not in ".!?:;,\"”" and rest.strip():
        return headline, rest.strip()
    return None, text


async def _fetch(url: str, settings: Settings, *, accept: str | None = None) -> FetchResponse:
    from bot.fetch.net import BlockedAddressError, Fetcher, FetchError

    async with Fetcher(settings.net) as fetcher:
        try:
            return await (fetcher.fetch(url, accept=accept) if accept else fetcher.fetch(url))
        except BlockedAddressError as exc:
            hint = "" if settings.net.allow_private_addresses else PRIVATE_HINT
            raise CommandError(f"{url}: {exc.reason}{hint}") from None
        except FetchError as exc:
            raise CommandError(f"{url}: {exc.reason}") from None


def _looks_like_feed(response: FetchResponse) -> bool:
    ctype = (response.content_type or "").split(";")[0].strip().lower()
    head = response.body[:512].lstrip().lower()
    return ctype in FEED_TYPES or head.startswith((b"<rss", b"<feed", b"<rdf:rdf")) or \
        (head.startswith(b"<?xml") and b"<html" not in head)


async def _fetch_article(url: str, settings: Settings) -> tuple[str | None, str | None, str, str | None]:
    from bot.fetch.extract import extract_article

    response = await _fetch(url, settings, accept="text/html,application/xhtml+xml;q=0.9")
    if _looks_like_feed(response):
        raise CommandError(f"{url}: is a feed, not an article; subscribe with `newsbot feeds add {url}`, "
                           "or summarize one of its entries' links")
    page = await asyncio.to_thread(extract_article, response.body, url=response.url, charset=response.charset)
    if page is None or not page.text.strip():
        raise CommandError(f"{url}: no article text found on this page")
    return page.title, response.url, page.text, page.language


async def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import CONSOLE_CHANNEL_ID, CONSOLE_GUILD_ID
    from bot.store import open_store
    from bot.store.health import INTERNAL_FEEDS

    internal = INTERNAL_FEEDS.strip("%")
    store = await open_store(settings.bot.database)
    try:
        now = datetime.now(UTC)
        subscribed = {feed.url: feed for _sub, feed in await store.guild_subscriptions(CONSOLE_GUILD_ID)}
        if args.feeds_command == "add":
            url, title = args.url, None
            if url in subscribed:
                print(f"already subscribed to feed {subscribed[url].id}: {url}")
                return EXIT_OK
            if not args.no_check:
                url, parsed = await probe_feed(args.url, settings)
                title = parsed.title or None
                if url != args.url:
                    print(f"{args.url} is a web page; following the feed it links to: {url}")
                if url in subscribed:
                    print(f"already subscribed to feed {subscribed[url].id}: {url}")
                    return EXIT_OK
                print(f"found {title or 'a feed'} with {plural(len(parsed.entries), 'entry', 'entries')}")
            feed = await store.add_feed(url, title=title, poll_interval=settings.feeds.poll_interval, now=now)
            await store.subscribe(CONSOLE_GUILD_ID, CONSOLE_CHANNEL_ID, feed.id, now=now)
            print(f"subscribed the terminal to feed {feed.id}: {feed.url}")
        elif args.feeds_command == "list":
            rows = [f for url, f in subscribed.items() if internal not in url]  # not the samples pseudo-feed
            if args.json:
                print(json.dumps([{"id": f.id, "url": f.url, "title": f.title, "disabled": f.disabled,
                                   "disabled_reason": f.disabled_reason, "last_error": f.last_error}
                                  for f in rows], indent=2))
                return EXIT_OK
            if not rows:
                print("no feeds yet: add one with `newsbot feeds add URL`")
            for feed in rows:
                state = f"disabled: {feed.disabled_reason}" if feed.disabled else (
                    f"failing: {feed.last_error}" if feed.last_error else "ok")
                print(f"{feed.id:>5}  {feed.display_name}  <{feed.url}>  [{state}]")
        elif args.feeds_command == "remove":
            feed = None
            if args.feed.isdigit():
                feed = await store.get_feed(int(args.feed))
            feed = feed or await store.get_feed_by_url(args.feed)
            if feed is None or internal in feed.url:
                raise CommandError(f"no feed {args.feed!r}; see `newsbot feeds list`")
            removed = await store.unsubscribe(CONSOLE_GUILD_ID, feed.id)
            if not removed:
                raise CommandError(f"the terminal is not subscribed to feed {feed.id}")
            print(f"unsubscribed from {feed.display_name}")
    finally:
        await store.close()
    return EXIT_OK


async def probe_feed(url: str, settings: Settings) -> tuple[str, ParsedFeed]:
    """(the feed's URL, its parsed body); a web page that links to a feed is followed to it once, as
    `/feed add` does on Discord."""
    from bot.fetch.feeds import FeedError, parse_feed

    def parse(response: FetchResponse) -> ParsedFeed:
        return parse_feed(response.body, url=response.url, content_type=response.content_type,
                          max_entries=settings.feeds.max_entries)

    try:
        return url, parse(await _fetch(url, settings))
    except FeedError as exc:
        if not exc.alternates:
            raise CommandError(f"{url}: {exc.reason}") from None
        alternate = exc.alternates[0]
    try:
        return alternate, parse(await _fetch(alternate, settings))
    except CommandError as exc:  # the linked feed could not be fetched
        raise CommandError(f"{url} is a web page linking to a feed, which failed: {exc}") from None
    except FeedError as exc:
        raise CommandError(f"{url} is a web page and its feed {alternate} could not be read: {exc.reason}") \
            from None
