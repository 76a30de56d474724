"""Conversions between SQLite rows and the shared records, and the text normalizations the schema relies on.

Times are stored as fixed-width ISO-8601 UTC text, so string order is time order; a naive datetime is
refused here, at the boundary, because a naive time silently shifted by the host's zone is the kind of bug
that only shows up in a digest posted at the wrong hour.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.models import DigestSchedule, Feed, Subscription
from bot.store import common
from bot.store.common import (  # noqa: F401  (re-exported: the SQLite modules import them from here)
    bullets_from_json,
    bullets_to_json,
    normalize_name,
    quotes_from_json,
    quotes_to_json,
    source_name,
    surname,
    url_host,
)


def to_db(dt: datetime) -> str:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime given to the store: {dt!r} (all store times are aware UTC)")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def opt_to_db(dt: datetime | None) -> str | None:
    return None if dt is None else to_db(dt)


def from_db(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:  # written by hand or by an older tool: the store's convention is UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def opt_from_db(value: str | None) -> datetime | None:
    return None if value is None else from_db(value)


def feed_from_row(row: sqlite3.Row) -> Feed:
    return common.feed_from_row(row, from_db)


def subscription_from_row(row: sqlite3.Row) -> Subscription:
    return common.subscription_from_row(row)


def digest_from_row(row: sqlite3.Row) -> DigestSchedule:
    return common.digest_from_row(row, from_db)
