"""One logging configuration, made once at start by the CLI: one handler on stderr.

On a terminal the handler is rich's (levels in colour, short times); when stdout is the same terminal the
stories' console is shared, so log lines and the status line never tear through a story. Under systemd or
docker (not a terminal) it is plain text, one line per record, with an ISO timestamp.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LIBRARIES = ("discord", "apscheduler", "trafilatura", "htmldate", "courlan", "aiosqlite", "asyncio")


class _DropCancelled(logging.Filter):
    """A job cancelled at shutdown is not an error; APScheduler logs it as one, with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)


class _ShortReconnects(logging.Filter):
    """discord.py logs each reconnect attempt as an ERROR with the whole traceback of a refused connection;
    losing Discord for a while is expected, so it becomes one warning line naming the cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "discord.client" and record.exc_info and str(record.msg).startswith("Attempting a"):
            exc = record.exc_info[1]
            record.msg, record.args = f"Discord unreachable ({type(exc).__name__}: {exc}); {record.getMessage()}", ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _same_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty() and \
            os.ttyname(sys.stdout.fileno()) == os.ttyname(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def make_handler() -> logging.Handler:
    handler: logging.Handler
    if sys.stderr.isatty() and not os.environ.get("NEWSBOT_PLAIN_LOGS"):
        from rich.console import Console
        from rich.logging import RichHandler

        from bot.console import terminal

        shared = terminal() if _same_terminal() else None
        console = shared or Console(stderr=True)
        handler = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False,
                              log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%S%z"))
    handler.addFilter(_DropCancelled())
    handler.addFilter(_ShortReconnects())
    return handler


def setup_logging(level: str, *, verbose: int = 0) -> None:
    if verbose:
        level = "DEBUG"
    logging.basicConfig(level=level, handlers=[make_handler()], force=True)
    # Library chatter stays at WARNING unless asked for twice.
    quiet = logging.WARNING if verbose < 2 else logging.DEBUG
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(max(quiet, logging.getLogger().level))
