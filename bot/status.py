"""`newsbot status`: is the bot healthy, and if not, why — for people, health checks and scripts.

The running bot writes a heartbeat row (`meta.heartbeat`) every HEARTBEAT_SECONDS with its mode and, in
Discord mode, whether the gateway connection is up; `status` reads it with the rest of the database's
counts over a read-only connection, so it is cheap enough for a container health check every 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.store.health import HealthSnapshot

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30.0
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
OVERDUE_AFTER = timedelta(minutes=15)


class MetaWriter(Protocol):
    async def set_meta(self, key: str, value: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Status:
    healthy: bool
    problems: tuple[str, ...]
    database: str
    schema_version: int | None = None
    schema_latest: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)


def heartbeat_value(mode: str, discord: str | None, *, now: datetime, stopped: bool = False) -> str:
    return json.dumps({"at": now.isoformat(), "mode": mode, "discord": discord, "pid": os.getpid(),
                       "host": socket.gethostname(), "stopped": stopped})


async def write_heartbeats(store: MetaWriter, mode: str, discord_state: Callable[[], str | None], *,
                           database: str | None = None, changed: asyncio.Event | None = None) -> None:
    """Runs for the bot's lifetime; a failed write is logged and retried next beat, never fatal.

    With a `database` (a SQLite path or a PostgreSQL URL), each beat also refreshes the queue-depth gauges
    from the same counts `status` reads.
    """
    from bot import metrics
    from bot.store.health import HEARTBEAT_KEY

    while True:
        now = datetime.now(UTC)
        try:
            await store.set_meta(HEARTBEAT_KEY, heartbeat_value(mode, discord_state(), now=now))
            if database and database != ":memory:":
                metrics.depths(await read_health(database, now=now, overdue_before=now))
        except Exception as exc:  # a busy or full disk: the status will show the heartbeat going stale
            log.warning("could not write the heartbeat: %s", exc)
        try:
            changed = changed or asyncio.Event()
            with contextlib.suppress(TimeoutError):  # a change of connection state beats at once
                await asyncio.wait_for(changed.wait(), HEARTBEAT_SECONDS)
            changed.clear()
        except asyncio.CancelledError:  # a clean stop: say so at once rather than going stale in 90 s
            with contextlib.suppress(Exception):
                await store.set_meta(HEARTBEAT_KEY, heartbeat_value(mode, None, now=datetime.now(UTC), stopped=True))
            raise


async def read_health(database: str, *, now: datetime, overdue_before: datetime) -> HealthSnapshot:
    """The backend's read-only snapshot, picked by the `database` setting as `bot.store.open_store` picks
    the store: a `postgresql://` URL is PostgreSQL, anything else a SQLite file."""
    from bot.store import is_postgres_url

    if is_postgres_url(database):
        from bot.store.postgres.health import read_health as read_postgres

        return await read_postgres(database, now=now, overdue_before=overdue_before)
    from bot.store.sqlite.health import read_health as read_sqlite

    return await asyncio.to_thread(read_sqlite, database, now=now, overdue_before=overdue_before)


def check(database: str, *, now: datetime | None = None) -> Status:
    """Everything `newsbot status` shows; never raises for a database problem (that is a status too)."""
    from bot.store import is_postgres_url
    from bot.store.errors import StoreError

    now = now or datetime.now(UTC)
    if is_postgres_url(database):
        from bot.store.postgres.migrate import load_migrations
        from bot.store.postgres.store import redacted

        latest, shown = len(load_migrations()), redacted(database)  # no password in the output
    else:
        from bot.store.sqlite.migrate import load_migrations as load_sqlite_migrations

        latest, shown = len(load_sqlite_migrations()), database
    try:
        snap = asyncio.run(read_health(database, now=now, overdue_before=now - OVERDUE_AFTER))
    except StoreError as exc:
        return Status(False, (str(exc),), shown, schema_latest=latest)
    problems: list[str] = []
    if snap.schema_version < latest:
        problems.append(f"schema version {snap.schema_version} is older than this newsbot's {latest}: "
                        "start the bot to migrate it (a backup is made first)")
    elif snap.schema_version > latest:
        problems.append(f"schema version {snap.schema_version} is newer than this newsbot's {latest}: "
                        "upgrade newsbot")
    beat = _parse_heartbeat(snap.heartbeat)
    bot: dict[str, Any] = {"running": False}
    if beat is None:
        problems.append("no running newsbot has written a heartbeat (is `newsbot run` running?)")
    else:
        at = datetime.fromisoformat(beat["at"])
        bot = {"running": now - at <= STALE_AFTER, "mode": beat.get("mode"), "discord": beat.get("discord"),
               "pid": beat.get("pid"), "host": beat.get("host"), "last_heartbeat": at.isoformat()}
        if beat.get("stopped"):
            bot["running"] = False
            problems.append(f"newsbot was stopped {_ago(now - at)} ago")
        elif bot["running"] and not _alive(beat):
            bot["running"] = False
            problems.append(f"newsbot (pid {beat.get('pid')}) is no longer running")
        elif not bot["running"]:
            problems.append(f"the last heartbeat is {_ago(now - at)} old (is `newsbot run` running?)")
        elif beat.get("mode") == "discord" and beat.get("discord") != "connected":
            problems.append(f"Discord: {beat.get('discord') or 'not connected'}")
    if snap.overdue:
        problems.append(f"{plural(snap.overdue, 'delivery', 'deliveries')} overdue by more than "
                        f"{int(OVERDUE_AFTER.total_seconds() // 60)} minutes (is Discord reachable?)")
    facts = {
        "bot": bot,
        "feeds": {"subscribed": snap.feeds, "due": snap.feeds_due,
                  "failing": [asdict(f) for f in snap.failing], "disabled": [asdict(f) for f in snap.disabled]},
        "deliveries": {"pending": snap.pending, "overdue": snap.overdue, "given_up": snap.given_up},
        "last_successful_poll": snap.last_poll, "last_delivery": snap.last_delivery,
    }
    return Status(not problems, tuple(problems), shown, snap.schema_version, latest, facts)


def _alive(beat: dict[str, Any]) -> bool:
    """False only when the heartbeat's process is on this host and certainly gone."""
    pid = beat.get("pid")
    if beat.get("host") != socket.gethostname() or not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def _parse_heartbeat(raw: str | None) -> dict[str, Any] | None:
    try:
        beat = json.loads(raw) if raw else None
        if isinstance(beat, dict):
            datetime.fromisoformat(beat["at"])
            return beat
    except (ValueError, KeyError, TypeError):
        pass
    return None


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return plural(seconds, "second")
    if seconds < 7200:
        return plural(seconds // 60, "minute")
    if seconds < 172_800:
        return plural(seconds // 3600, "hour")
    return plural(seconds // 86_400, "day")


def _when(iso: str | None, now: datetime) -> str:
    if not iso:
        return "never"
    at = datetime.fromisoformat(iso)
    return f"{at.strftime('%Y-%m-%d %H:%M:%S UTC')} ({_ago(now - at)} ago)"


def render_text(status: Status, *, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    lines = [f"newsbot: {'healthy' if status.healthy else 'UNHEALTHY'}", f"database: {status.database}"]
    if status.schema_version is not None:
        lines.append(f"schema: version {status.schema_version} (this newsbot: {status.schema_latest})")
    lines += [f"problem: {p}" for p in status.problems]
    facts = status.facts
    if not facts:
        return "\n".join(lines) + "\n"
    bot = facts["bot"]
    if bot.get("mode"):
        state = "running" if bot["running"] else "not running"
        lines.append(f"bot: {state}, {bot['mode']} mode, pid {bot['pid']} on {bot['host']}, last heartbeat "
                     f"{_when(bot['last_heartbeat'], now)}")
        if bot["mode"] == "discord":
            lines.append(f"discord: {bot['discord'] or 'unknown'}")
    feeds = facts["feeds"]
    lines.append(f"feeds: {plural(feeds['subscribed'], 'feed')} subscribed, {feeds['due']} due now, "
                 f"{len(feeds['failing'])} failing, {len(feeds['disabled'])} disabled")
    for kind in ("failing", "disabled"):
        for f in feeds[kind]:
            name = f"{f['title']} " if f["title"] else ""
            lines.append(f"  {kind} {f['id']} {name}<{f['url']}>: {f['reason']}"
                         + (f" ({plural(f['failures'], 'failure')})" if kind == "failing" else ""))
    d = facts["deliveries"]
    lines.append(f"deliveries: {d['pending']:,} pending ({d['overdue']:,} overdue), {d['given_up']:,} given up")
    lines.append(f"last successful poll: {_when(facts['last_successful_poll'], now)}")
    lines.append(f"last delivery: {_when(facts['last_delivery'], now)}")
    return "\n".join(lines) + "\n"
