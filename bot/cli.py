"""The `newsbot` command line.

Exit codes: 0 success, 1 failure, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot import __version__
from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings, render_example

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = Path("config.toml")
MAX_INPUT_BYTES = 20_000_000


class CommandError(Exception):
    """A failure to report in one line, with exit code 1."""


def _common(default: object) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", type=Path, default=default,
                        help="config file (default: ./config.toml when it exists, else built-in defaults)")
    common.add_argument("-v", "--verbose", action="count", default=0 if default is None else default,
                        help="more logging (-vv includes libraries)")
    return common


def build_parser() -> argparse.ArgumentParser:
    # Subcommands' copies default to SUPPRESS: a subparser's defaults overwrite the values parsed
    # before it, so `newsbot -c FILE run` would otherwise silently run on the built-in defaults.
    common = _common(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="newsbot", parents=[_common(None)],
        description="Self-hosted news-summary bot for Discord. Without a token in "
                    f"${TOKEN_ENV}, `run` prints to the terminal instead.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", parents=[common], help="run the bot (console mode without a token)")
    run.add_argument("--role", choices=("all", "ingest", "discord"), default="all",
                     help="ingest: poll and store; discord: commands and delivery; all: both (default)")
    run.add_argument("--once", action="store_true",
                     help="poll due feeds and deliver once, then exit (console mode)")

    summ = sub.add_parser("summarize", parents=[common], help="summarize an article file, URL or stdin")
    summ.add_argument("source", help="a text/HTML file, an http(s) URL, or - for standard input")
    summ.add_argument("--bullets", type=int, default=None, help="number of bullets (1-10)")
    summ.add_argument("--algorithm", default=None, help="default, lexrank, textrank, lsa, luhn, ...")
    summ.add_argument("--language", default=None, help="article language (default from config)")
    summ.add_argument("--json", action="store_true", help="print JSON instead of Markdown")

    init = sub.add_parser("init", parents=[common], help="write a starter config file")
    init.add_argument("path", nargs="?", type=Path, default=DEFAULT_CONFIG)
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    sub.add_parser("check-config", parents=[common], help="validate the config file and exit")

    feeds = sub.add_parser("feeds", parents=[common], help="manage the terminal's feed subscriptions")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    add = feeds_sub.add_parser("add", parents=[common], help="subscribe the terminal to a feed")
    add.add_argument("url")
    add.add_argument("--no-check", action="store_true", help="do not fetch the feed to validate it")
    feeds_sub.add_parser("list", parents=[common], help="list the terminal's feeds")
    remove = feeds_sub.add_parser("remove", parents=[common], help="unsubscribe by URL or id")
    remove.add_argument("feed", help="feed URL or numeric id")

    sub.add_parser("sync-commands", parents=[common], help="register the slash commands with Discord now")

    migrate = sub.add_parser("migrate-db", parents=[common], help="copy a SQLite database into PostgreSQL")
    migrate.add_argument("--from", dest="source", required=True, help="the SQLite file (e.g. newsbot.db)")
    migrate.add_argument("--to", dest="target", required=True, help="an empty database: postgresql://...")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            return cmd_init(args)
        settings = _settings(args)
        from bot.logs import setup_logging

        setup_logging(settings.bot.log_level, verbose=args.verbose)
        match args.command:
            case "check-config":
                where = settings.source or "built-in defaults"
                print(f"{where}: OK (token {'set' if settings.token else 'not set: console mode'})")
                return EXIT_OK
            case "summarize":
                return cmd_summarize(args, settings)
            case "feeds":
                with _store_errors():
                    return asyncio.run(cmd_feeds(args, settings))
            case "run":
                from bot.__main__ import start

                with _store_errors():
                    return start(settings, once=args.once, role=args.role)
            case "migrate-db":
                with _store_errors():
                    return asyncio.run(cmd_migrate_db(args))
            case "sync-commands":
                from bot.__main__ import sync_commands

                with _store_errors():
                    return sync_commands(settings)
    except ConfigError as exc:
        print(f"newsbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:  # an unwritable path or database directory: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"newsbot: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE  # pragma: no cover - parser.error exits


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """A database that cannot be opened, or fails while running (disk full, corrupted, server gone), is a
    one-line failure: the store raises only StoreError, whatever the backend (imported late: slow to load)."""
    from bot.store import StoreError

    try:
        yield
    except StoreError as exc:
        raise CommandError(str(exc)) from None


def _settings(args: argparse.Namespace) -> Settings:
    path = args.config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_settings(path)


def cmd_init(args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.exists() and not args.force:
        print(f"newsbot: {path} already exists (use --force to overwrite)", file=sys.stderr)
        return EXIT_USAGE
    path.write_text(render_example(), encoding="utf-8")
    print(f"wrote {path}; put your bot token in ${TOKEN_ENV} and run `newsbot run`")
    return EXIT_OK


def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:
    import summaries
    from bot.console import summary_markdown
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
    title, url, text, language = _read_source(args.source, settings)
    try:
        summary = summarize_text(text, title=title, settings=settings,
                                 language_code=None if args.language else language)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.json:
        payload = {
            "title": title, "url": url, "bullets": list(summary.bullets),
            "quotes": [{"text": q.text, "speaker": q.speaker} for q in summary.quotes],
            "language": summary.language, "word_count": summary.word_count,
            "reading_minutes": summary.reading_minutes, "reduction": round(summary.reduction, 4),
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(summary_markdown(summary, title=title, url=url), end="")
    return EXIT_OK


def _read_source(source: str, settings: Settings) -> tuple[str | None, str | None, str, str | None]:
    """(title, url, text, language code) from a URL, a file or stdin; HTML is extracted like a page."""
    from bot.fetch.extract import extract_article
    from bot.fetch.htmltext import html_to_text

    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch_article(source, settings))
    if source == "-":
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if not path.is_file():
            raise CommandError(f"{source}: no such file (give a file, an http(s) URL, or - for stdin)")
        raw = path.read_bytes()[: MAX_INPUT_BYTES + 1]
    if len(raw) > MAX_INPUT_BYTES:
        raise CommandError(f"{source}: input is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    text = raw.decode("utf-8", errors="replace")
    if "<html" in text[:2000].lower() or "<body" in text[:5000].lower():
        page = extract_article(raw, url=source if source != "-" else "file:///stdin")
        if page is None or not page.text.strip():
            raise CommandError(f"{source}: no article text found in this HTML")
        return page.title, None, page.text, page.language
    return None, None, html_to_text(text) if "<" in text else text, None


async def _fetch_article(url: str, settings: Settings) -> tuple[str | None, str | None, str, str | None]:
    from bot.fetch.extract import extract_article
    from bot.fetch.net import Fetcher, FetchError

    async with Fetcher(settings.net) as fetcher:
        try:
            response = await fetcher.fetch(url, accept="text/html,application/xhtml+xml;q=0.9")
        except FetchError as exc:
            raise CommandError(f"{url}: {exc.reason}") from None
    page = await asyncio.to_thread(extract_article, response.body, url=response.url, charset=response.charset)
    if page is None or not page.text.strip():
        raise CommandError(f"{url}: no article text found on this page")
    return page.title, response.url, page.text, page.language


async def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from bot.console import CONSOLE_CHANNEL_ID, CONSOLE_GUILD_ID
    from bot.store import open_store

    store = await open_store(settings.bot.database)
    try:
        now = datetime.now(UTC)
        if args.feeds_command == "add":
            title = None
            if not args.no_check:
                title, count = await _probe_feed(args.url, settings)
                print(f"found {title or 'a feed'!s} with {count} entries")
            feed = await store.add_feed(args.url, title=title, poll_interval=settings.feeds.poll_interval,
                                        now=now)
            await store.subscribe(CONSOLE_GUILD_ID, CONSOLE_CHANNEL_ID, feed.id, now=now)
            print(f"subscribed the terminal to feed {feed.id}: {feed.url}")
        elif args.feeds_command == "list":
            rows = await store.guild_subscriptions(CONSOLE_GUILD_ID)
            if not rows:
                print("no feeds yet: add one with `newsbot feeds add URL`")
            for _sub, feed in rows:
                state = f"disabled: {feed.disabled_reason}" if feed.disabled else (
                    f"failing: {feed.last_error}" if feed.last_error else "ok")
                print(f"{feed.id:>5}  {feed.display_name}  <{feed.url}>  [{state}]")
        elif args.feeds_command == "remove":
            feed = None
            if args.feed.isdigit():
                feed = await store.get_feed(int(args.feed))
            feed = feed or await store.get_feed_by_url(args.feed)
            if feed is None:
                raise CommandError(f"no feed {args.feed!r}; see `newsbot feeds list`")
            removed = await store.unsubscribe(CONSOLE_GUILD_ID, feed.id)
            if not removed:
                raise CommandError(f"the terminal is not subscribed to feed {feed.id}")
            print(f"unsubscribed from {feed.display_name}")
    finally:
        await store.close()
    return EXIT_OK


async def _probe_feed(url: str, settings: Settings) -> tuple[str | None, int]:
    from bot.fetch.feeds import FeedError, parse_feed
    from bot.fetch.net import Fetcher, FetchError

    async with Fetcher(settings.net) as fetcher:
        try:
            response = await fetcher.fetch(url)
        except FetchError as exc:
            raise CommandError(f"{url}: {exc.reason}") from None
    try:
        parsed = parse_feed(response.body, url=response.url, content_type=response.content_type,
                            max_entries=settings.feeds.max_entries)
    except FeedError as exc:
        raise CommandError(f"{url}: {exc.reason}") from None
    return parsed.title or None, len(parsed.entries)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


async def cmd_migrate_db(args: argparse.Namespace) -> int:
    """Copy a SQLite deployment into PostgreSQL (bot/store/transfer.py), all or nothing, verified by counts."""
    from bot.store import is_postgres_url
    from bot.store.transfer import copy_sqlite_to_postgres

    if not is_postgres_url(args.target):
        raise CommandError(f"--to must be a postgresql:// URL, not {args.target!r}")
    report = await copy_sqlite_to_postgres(args.source, args.target)
    for table, count in report.counts.items():
        print(f"{table:<16} {count:>10,} rows")
    if report.skipped_columns:
        print(f"not copied (no such PostgreSQL column): {', '.join(report.skipped_columns)}")
    print(f"copied {args.source} into PostgreSQL; every table's row count matches. "
          "Set bot.database to the URL to use it.")
    return EXIT_OK
