"""What `newsbot status` reads: a few counts over a read-only connection.

Read-only and migration-free on purpose: a health check every 30 s must neither write nor wait for the bot's
write lock, and must not upgrade a database under a running older bot.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.store.errors import StoreError
from bot.store.health import HEARTBEAT_KEY, INTERNAL_FEEDS, FeedProblem, HealthSnapshot
from bot.store.sqlite.backup import _read_only
from bot.store.sqlite.rows import to_db


def read_health(path: str, *, now: datetime, overdue_before: datetime) -> HealthSnapshot:
    conn = _read_only(path)
    try:
        one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
        version = int(one("PRAGMA user_version"))
        if version == 0:
            raise StoreError(f"{path} has no newsbot schema yet (start the bot once to create it)")
        subscribed = "EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = feeds.id)"
        own = f"url NOT LIKE '{INTERNAL_FEEDS}'"

        def problems(where: str, reason: str) -> tuple[FeedProblem, ...]:
            rows = conn.execute(f"SELECT id, url, title, {reason}, failure_count FROM feeds "
                                f"WHERE {own} AND {where} ORDER BY id LIMIT 50").fetchall()
            return tuple(FeedProblem(r[0], r[1], r[2], r[3] or "", r[4]) for r in rows)

        heartbeat = conn.execute("SELECT value FROM meta WHERE key = ?", (HEARTBEAT_KEY,)).fetchone()
        return HealthSnapshot(
            schema_version=version,
            feeds=one(f"SELECT count(*) FROM feeds WHERE {own} AND {subscribed}"),
            feeds_due=one(f"SELECT count(*) FROM feeds WHERE {own} AND disabled = 0 AND {subscribed} "
                          "AND next_poll_at <= ?", to_db(now)),
            failing=problems("disabled = 0 AND failure_count > 0", "last_error"),
            disabled=problems("disabled = 1", "disabled_reason"),
            pending=one("SELECT count(*) FROM deliveries WHERE status = 'pending'"),
            overdue=one("SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at < ?",
                        to_db(overdue_before)),
            given_up=one("SELECT count(*) FROM deliveries WHERE status = 'failed'"),
            last_poll=one(f"SELECT max(last_polled_at) FROM feeds WHERE {own} AND failure_count = 0"),
            last_delivery=one("SELECT max(delivered_at) FROM deliveries WHERE status = 'delivered'"),
            heartbeat=heartbeat[0] if heartbeat else None,
        )
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read {path}: {exc} (is it a newsbot database?)") from exc
    finally:
        conn.close()
