"""The running bot: owns `asyncio.run` and the lifetimes of the HTTP session, the database and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.config import TOKEN_ENV, Settings
from bot.console import (
    CONSOLE_CHANNEL_ID,
    CONSOLE_GUILD_ID,
    SAMPLES_FEED_URL,
    ConsoleSink,
    load_samples,
    terminal,
)
from bot.errors import quiet_threads
from bot.fetch.net import Fetcher
from bot.models import Feed, FeedEntry
from bot.pipeline.ingest import Ingestor, utcnow
from bot.pipeline.workers import CpuPool, default_workers
from bot.status import plural, read_health, write_heartbeats
from bot.store import Store, open_store
from bot.work.delivery import Sink
from bot.work.lanes import DeliveryLanes
from bot.work.leases import new_owner
from bot.work.notices import notice_feed_disabled
from bot.work.poller import FeedPoller
from bot.work.scheduler import DELIVER_JOB, Delivering, build_scheduler, stop, wake

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger("bot")

INVITE_PERMISSIONS = 84992  # View Channels, Send Messages, Embed Links, Read Message History (README: modes add more)


ROLES = ("all", "ingest", "discord")


def start(settings: Settings, *, once: bool = False, role: str = "all") -> int:
    """Run until stopped; SIGTERM stops as cleanly as Ctrl-C.

    `role`: `ingest` polls, extracts, summarizes and stores; `discord` connects, answers commands and
    delivers; `all` does both. Any number of processes of each role can share one database.
    """
    if role == "discord" and not settings.token:
        print(f"newsbot: --role discord needs the bot token in ${TOKEN_ENV}", file=sys.stderr)
        return 2
    main: Coroutine[object, object, int]
    if role == "ingest":
        main = run_ingest(settings, once=once)
    elif settings.token:
        main = run_discord(settings, ingest=role == "all")
    else:
        main = run_console(settings, once=once)
    if not once:
        metrics.serve(settings.metrics)
    try:
        return asyncio.run(_until_signal(main))
    except KeyboardInterrupt:
        quiet_threads()
        log.info("stopped")
        return 0


async def _until_signal(main: Coroutine[object, object, int]) -> int:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        log.info("stopped")
        return 0


@contextlib.asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[tuple[Store, Fetcher]]:
    store = await open_store(settings.bot.database)
    try:
        async with Fetcher(settings.net) as fetcher:
            yield store, fetcher
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _cpu_pool(settings: Settings, *, ingest: bool = True) -> AsyncIterator[CpuPool]:
    """The ingest worker processes, started (and warmed) at once so the first poll does not wait for them;
    they stop after the jobs that use them (the scheduler's) have stopped."""
    workers = settings.scheduler.ingest_workers
    pool = CpuPool((default_workers() if workers is None else workers) if ingest else 0)
    pool.start()
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.close)


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.scheduler.lease_seconds)


def _poller(settings: Settings, store: Store, fetcher: Fetcher, owner: str, cpu: CpuPool,
            on_feed_disabled: Callable[[Feed, str], Awaitable[object]] | None = None) -> FeedPoller:
    if on_feed_disabled is None:
        async def on_feed_disabled(feed: Feed, reason: str) -> object:
            return await notice_feed_disabled(store, feed, reason, now=utcnow())

    ingestor = Ingestor(settings, store, fetcher, clock=utcnow, on_feed_disabled=on_feed_disabled, cpu=cpu)
    cfg = settings.scheduler
    return FeedPoller(ingestor, owner=owner, concurrency=cfg.feed_concurrency, deadline=cfg.feed_deadline,
                      lease=_lease(settings))


def _delivering(settings: Settings, store: Store, sink: Sink, owner: str, *, interval: float) -> Delivering:
    shard_count = settings.discord.shards
    shard_ids = settings.discord.shard_ids if shard_count else None
    lanes = DeliveryLanes(store, sink, owner=owner, clock=utcnow,
                          max_attempts=settings.discord.max_delivery_attempts, interval=interval,
                          concurrency=settings.scheduler.lane_concurrency, lease=_lease(settings),
                          shard_count=shard_count, shard_ids=shard_ids)
    return Delivering(lanes, sink, owner, shard_count, shard_ids)


async def _run_scheduled(settings: Settings, store: Store, *, poller: FeedPoller | None,
                         delivering: Delivering | None) -> None:
    """Run the jobs until cancelled; the first delivery tick, at start, sends what is already due."""
    if poller is not None:
        await poller.ingestor.load_clusters()
    scheduler = build_scheduler(settings, store=store, clock=utcnow, poller=poller, delivering=delivering)
    if poller is not None and delivering is not None:
        poller.on_new_deliveries = lambda: wake(scheduler, DELIVER_JOB)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        await stop(scheduler)  # jobs stop before the work they drive closes
        if poller is not None:
            await poller.close()
        if delivering is not None:
            await delivering.lanes.close()


async def run_ingest(settings: Settings, *, once: bool = False) -> int:
    """The ingest role: no Discord connection; what guilds must hear goes out as notices."""
    owner = new_owner()
    async with _services(settings) as (store, fetcher), _cpu_pool(settings) as cpu:
        poller = _poller(settings, store, fetcher, owner, cpu)
        if once:
            await poller.ingestor.load_clusters()
            results = await poller.poll_due()
            log.info("polled %s", plural(len(results), "feed"))
            return 0
        log.info("ingest process %s started", owner)
        heartbeat = asyncio.create_task(write_heartbeats(store, "ingest", lambda: None,
                                                         database=settings.bot.database))
        try:
            await _run_scheduled(settings, store, poller=poller, delivering=None)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
    return 0


async def run_console(settings: Settings, *, once: bool = False) -> int:
    sink = ConsoleSink(console=terminal())
    owner = new_owner()
    async with _services(settings) as (store, fetcher), _cpu_pool(settings) as cpu:
        poller = _poller(settings, store, fetcher, owner, cpu)
        delivering = _delivering(settings, store, sink, owner, interval=0.0)
        if settings.bot.console_samples:
            shown = await ingest_samples(settings, store, poller.ingestor)
            if not shown:
                log.info("the bundled sample articles were already shown (database %s)", settings.bot.database)
        if once:
            await poller.ingestor.load_clusters()
            await poller.poll_due()
            report = await delivering.lanes.drain()  # everything due, however many lanes and rows
            log.info("printed %s", plural(report.delivered, "story", "stories"))
            return 0
        feeds = await store.guild_subscriptions(CONSOLE_GUILD_ID)
        polled = [f for _s, f in feeds if f.url != SAMPLES_FEED_URL]
        hello = (f"Console mode (no ${TOKEN_ENV} set): watching {plural(len(polled), 'feed')}. "
                 "Add one with `newsbot feeds add URL`; Ctrl-C to stop.")
        if sink.console is not None:
            sink.console.print(hello, style="bold", markup=False)
        else:
            print(hello, file=sys.stderr)
        database = settings.bot.database
        background = [asyncio.create_task(write_heartbeats(store, "console", lambda: None, database=database))]
        if sink.console is not None:
            background.append(asyncio.create_task(status_line(sink.console, database, sink)))
        try:
            await _run_scheduled(settings, store, poller=poller, delivering=delivering)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
    return 0


async def status_line(console: Console, database: str, sink: ConsoleSink) -> None:
    """A live line under the stories: feeds due and in flight, stories stored, stories printed."""
    with console.status("starting…", spinner="dots") as line:
        tick = 0
        while True:
            if tick % 5 == 0 and database != ":memory:":
                now = utcnow()
                with contextlib.suppress(Exception):  # a locked moment only delays the next figure
                    metrics.depths(await read_health(database, now=now, overdue_before=now))
            due, busy = int(metrics.value(metrics.FEEDS_DUE)), int(metrics.value(metrics.FEEDS_IN_FLIGHT))
            line.update(f"[dim]{due} due · {busy} in flight · "
                        f"{plural(int(metrics.value(metrics.STORIES)), 'story', 'stories')} stored · "
                        f"{sink.printed:,} printed · Ctrl-C to stop[/dim]")
            tick += 1
            await asyncio.sleep(1.0)


async def ingest_samples(settings: Settings, store: Store, ingestor: Ingestor) -> int:
    """Store the bundled articles under a disabled pseudo-feed the terminal subscribes to.

    Returns how many were new; the store's URL uniqueness makes a second run a no-op.
    """
    now = datetime.now(UTC)
    feed = await store.add_feed(SAMPLES_FEED_URL, title="newsbot samples", now=now)
    await store.subscribe(CONSOLE_GUILD_ID, CONSOLE_CHANNEL_ID, feed.id, now=now)
    if not feed.disabled:
        await store.set_feed_enabled(feed.id, False, now=now)
        feed = await store.get_feed(feed.id) or feed
    new = 0
    for sample in load_samples():
        entry = FeedEntry(guid=sample.url, link=sample.url, title=sample.title, published=sample.published,
                          author=sample.author, content=sample.text)
        if await ingestor.ingest_entry(feed, entry, fetch_page=False):
            new += 1
    return new


async def run_discord(settings: Settings, *, ingest: bool = True) -> int:
    """The discord role (and, with `ingest`, the all role): gateway, commands, delivery lanes, digests."""
    import discord

    from bot.discord.client import create_bot, point_at

    point_at(settings)
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # newsbot has no voice
    owner = new_owner()
    async with _services(settings) as (store, fetcher), _cpu_pool(settings, ingest=ingest) as cpu:
        bot = create_bot(settings, store, fetcher)
        async with bot:
            poller = (_poller(settings, store, fetcher, owner, cpu,
                              on_feed_disabled=bot.sink.announce_feed_disabled) if ingest else None)
            delivering = _delivering(settings, store, bot.sink, owner, interval=settings.discord.delivery_interval)

            async def after_login() -> None:
                await bot.wait_until_ready()  # no polling or posting before Discord has accepted us
                if bot.application_id:  # printed whatever the log level: it is how the bot joins a server
                    print(f"newsbot: invite link: {invite_url(bot.application_id)}", file=sys.stderr, flush=True)
                await _run_scheduled(settings, store, poller=poller, delivering=delivering)

            # The gateway's state for `newsbot status`, from discord.py's own events; each change beats at once.
            link, changed = {"state": "connecting"}, asyncio.Event()
            for event, state in (("on_ready", "connected"), ("on_resumed", "connected"),
                                 ("on_connect", "connecting"), ("on_disconnect", "disconnected")):
                bot.add_listener(_set_link(link, state, changed), event)

            def discord_state() -> str:
                return "disconnected" if bot.is_closed() else link["state"]

            background = [asyncio.create_task(after_login()),
                          asyncio.create_task(write_heartbeats(store, "discord", discord_state,
                                                               database=settings.bot.database,
                                                               changed=changed))]
            try:
                with discord_errors(settings) as failed:
                    await bot.start(settings.token or "")
                return failed.code
            finally:
                for task in background:  # jobs stop before the store and the HTTP session close
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)


def _set_link(link: dict[str, str], state: str, changed: asyncio.Event) -> Callable[[], Coroutine[Any, Any, None]]:
    async def listener() -> None:
        if link["state"] != state:
            link["state"] = state
            changed.set()

    return listener


def invite_url(application_id: int) -> str:
    return (f"https://discord.com/oauth2/authorize?client_id={application_id}"
            f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}")


class _Outcome:
    code = 0


@contextlib.contextmanager
def discord_errors(settings: Settings) -> Iterator[_Outcome]:
    """Expected Discord failures as one line on stderr and an exit code, never a traceback."""
    import aiohttp
    import discord

    outcome = _Outcome()
    try:
        yield outcome
    except discord.LoginFailure:
        print(f"newsbot: Discord rejected the token in ${TOKEN_ENV}; copy it again from the "
              "developer portal (Bot → Reset Token)", file=sys.stderr)
        outcome.code = 2
    except discord.PrivilegedIntentsRequired as exc:
        print(f"newsbot: Discord refused a privileged intent: {exc}", file=sys.stderr)
        outcome.code = 2
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        print(f"newsbot: cannot reach Discord at {settings.discord.api_base}: {exc}", file=sys.stderr)
        outcome.code = 1
    except discord.DiscordException as exc:
        print(f"newsbot: Discord error: {exc}", file=sys.stderr)
        outcome.code = 1


def sync_commands(settings: Settings) -> int:
    if not settings.token:
        print(f"newsbot: sync-commands needs the bot token in ${TOKEN_ENV}", file=sys.stderr)
        return 2

    async def run() -> int:
        from bot.discord.client import create_bot, point_at

        point_at(settings)
        async with _services(settings) as (store, fetcher):
            bot = create_bot(settings, store, fetcher, sync_on_start=False)
            async with bot:
                with discord_errors(settings) as failed:
                    await bot.login(settings.token or "")
                    await bot.sync_commands(force=True)
                    print("slash commands registered")
                return failed.code

    return asyncio.run(run())
