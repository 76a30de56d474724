"""One logging configuration, made once at start by the CLI."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str, *, verbose: int = 0) -> None:
    if verbose:
        level = "DEBUG"
    logging.basicConfig(level=level, format=FORMAT, datefmt="%Y-%m-%dT%H:%M:%S%z", stream=sys.stderr,
                        force=True)
    # Library chatter stays at WARNING unless asked for twice.
    quiet = logging.WARNING if verbose < 2 else logging.DEBUG
    for name in ("discord", "apscheduler", "trafilatura", "htmldate", "courlan", "aiosqlite", "asyncio"):
        logging.getLogger(name).setLevel(max(quiet, logging.getLogger().level))
