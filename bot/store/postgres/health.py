"""What `newsbot status` reads from PostgreSQL: the SQLite `read_health`'s counts, over one short read-only
connection.

Read-only (`default_transaction_read_only` and a READ ONLY transaction) and migration-free on purpose: a
health check every 30 s must neither write nor upgrade a database under a running older bot. The timeouts
keep a down or locked server from hanging the check past the container's health-check deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from bot.store.errors import StoreError
from bot.store.health import HEARTBEAT_KEY, INTERNAL_FEEDS, FeedProblem, HealthSnapshot
from bot.store.postgres.base import DRIVER_ERRORS
from bot.store.postgres.migrate import schema_version
from bot.store.postgres.rows import ts
from bot.store.postgres.store import redacted

CONNECT_TIMEOUT = 5.0
SERVER_SETTINGS = {"application_name": "newsbot status", "default_transaction_read_only": "on",
                   "statement_timeout": "5s", "lock_timeout": "2s"}
SUBSCRIBED = "EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = feeds.id)"
OWN = "url NOT LIKE $1"  # every query below passes INTERNAL_FEEDS first


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


async def read_health(url: str, *, now: datetime, overdue_before: datetime) -> HealthSnapshot:
    where = redacted(url)
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT, server_settings=SERVER_SETTINGS)
    except TimeoutError as exc:
        raise StoreError(f"cannot connect to the database {where}: no answer in {CONNECT_TIMEOUT:g} s") from exc
    except (*DRIVER_ERRORS, ValueError) as exc:
        raise StoreError(f"cannot connect to the database {where}: {exc}") from exc
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):  # one consistent snapshot
            version = await schema_version(conn)
            if version == 0:
                raise StoreError(f"{where} has no newsbot schema yet (start the bot once to create it)")

            async def problems(condition: str, reason: str) -> tuple[FeedProblem, ...]:
                rows = await conn.fetch(f"SELECT id, url, title, {reason}, failure_count FROM feeds "
                                        f"WHERE {OWN} AND {condition} ORDER BY id LIMIT 50", INTERNAL_FEEDS)
                return tuple(FeedProblem(r[0], r[1], r[2], r[3] or "", r[4]) for r in rows)

            return HealthSnapshot(
                schema_version=version,
                feeds=await conn.fetchval(f"SELECT count(*) FROM feeds WHERE {OWN} AND {SUBSCRIBED}",
                                          INTERNAL_FEEDS),
                feeds_due=await conn.fetchval(f"SELECT count(*) FROM feeds WHERE {OWN} AND NOT disabled "
                                              f"AND {SUBSCRIBED} AND next_poll_at <= $2", INTERNAL_FEEDS, ts(now)),
                failing=await problems("NOT disabled AND failure_count > 0", "last_error"),
                disabled=await problems("disabled", "disabled_reason"),
                pending=await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'"),
                overdue=await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending' "
                                            "AND next_attempt_at < $1", ts(overdue_before)),
                given_up=await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'failed'"),
                last_poll=_iso(await conn.fetchval(f"SELECT max(last_polled_at) FROM feeds WHERE {OWN} "
                                                   "AND failure_count = 0", INTERNAL_FEEDS)),
                last_delivery=_iso(await conn.fetchval("SELECT max(delivered_at) FROM deliveries "
                                                       "WHERE status = 'delivered'")),
                heartbeat=await conn.fetchval("SELECT value FROM meta WHERE key = $1", HEARTBEAT_KEY),
            )
    except DRIVER_ERRORS as exc:
        raise StoreError(f"cannot read {where}: {exc} (is it a newsbot database?)") from exc
    finally:
        try:
            await conn.close(timeout=CONNECT_TIMEOUT)
        except (*DRIVER_ERRORS, TimeoutError):  # the answer is already read: drop the connection
            conn.terminate()
