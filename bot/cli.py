"""The `newsbot` command line.

Exit codes: 0 success, 1 failure (or unhealthy, for `status`), 2 usage or configuration error, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot import __version__
from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings
from bot.config_example import render_example
from bot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandError, quiet_threads

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("config.toml")




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
    listing = feeds_sub.add_parser("list", parents=[common], help="list the terminal's feeds")
    listing.add_argument("--json", action="store_true", help="print JSON")
    remove = feeds_sub.add_parser("remove", parents=[common], help="unsubscribe by URL or id")
    remove.add_argument("feed", help="feed URL or numeric id")

    sub.add_parser("sync-commands", parents=[common], help="register the slash commands with Discord now")

    migrate = sub.add_parser("migrate-db", parents=[common], help="copy a SQLite database into PostgreSQL")
    migrate.add_argument("--from", dest="source", required=True, help="the SQLite file (e.g. newsbot.db)")
    migrate.add_argument("--to", dest="target", required=True, help="an empty database: postgresql://...")

    status = sub.add_parser("status", parents=[common],
                            help="is the bot healthy? (exit 0 healthy, 1 not; read-only, fast)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="check again every 2 s until healthy or SECONDS have passed (readiness checks)")

    backup = sub.add_parser("backup", parents=[common],
                            help="copy the database to PATH, consistently, while the bot runs")
    backup.add_argument("path", type=Path)
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            return cmd_init(args)
        settings = _settings(args)
        from bot.logs import setup_logging

        # One-shot commands print their result; their INFO lines (database opened, ...) would only be noise.
        level = settings.bot.log_level if args.command == "run" else max(settings.bot.log_level, "WARNING",
                                                                          key=logging.getLevelName)
        setup_logging(level, verbose=args.verbose)
        match args.command:
            case "check-config":
                where = settings.source or "built-in defaults"
                print(f"{where}: OK (token {'set' if settings.token else 'not set: console mode'}); "
                      f"database {settings.bot.database}")
                return EXIT_OK
            case "summarize":
                from bot.commands import cmd_summarize

                return cmd_summarize(args, settings)
            case "feeds":
                from bot.commands import cmd_feeds

                with _store_errors():
                    return asyncio.run(cmd_feeds(args, settings))
            case "run":
                from bot.app import start

                with _store_errors():
                    return start(settings, once=args.once, role=args.role)
            case "migrate-db":
                with _store_errors():
                    return asyncio.run(cmd_migrate_db(args))
            case "status":
                return cmd_status(args, settings)
            case "backup":
                return cmd_backup(args, settings)
            case "sync-commands":
                from bot.app import sync_commands

                with _store_errors():
                    return sync_commands(settings)
    except ConfigError as exc:
        for line in str(exc).splitlines():  # every problem at once, one line each
            print(f"newsbot: configuration error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return exc.code
    except OSError as exc:  # an unwritable path or database directory: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"newsbot: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        quiet_threads()
        return EXIT_INTERRUPTED
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


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from bot.status import check, render_text

    deadline = time.monotonic() + max(args.wait, 0.0)
    status = check(settings.bot.database)
    while not status.healthy and time.monotonic() < deadline:
        time.sleep(2.0)
        status = check(settings.bot.database)
    print(status.to_json() if args.json else render_text(status), end="\n" if args.json else "")
    return EXIT_OK if status.healthy else EXIT_FAILURE


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.errors import StoreError
    from bot.store.sqlite.backup import backup_database

    database = settings.bot.database
    if "://" in database:
        raise CommandError("backup copies SQLite databases; for PostgreSQL use pg_dump (see README)")
    try:
        version = backup_database(database, args.path, overwrite=args.force)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    print(f"backed up {database} (schema version {version}) to {args.path.resolve()}")
    return EXIT_OK


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
