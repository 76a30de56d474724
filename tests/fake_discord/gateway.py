"""The JSON gateway: HELLO/IDENTIFY/READY, heartbeats, RESUME with replay, sharding.

Sessions outlive connections, so events dispatched while the bot is
reconnecting are buffered and replayed on RESUME exactly like Discord does.
As strict as Discord: a client that stops heartbeating is disconnected
(4009, session gone), IDENTIFYs are limited to one per ``identify_interval``
per rate-limit key (shard id % max_concurrency; a faster one gets op 9),
more than 120 payloads a minute closes with 4008, unknown intent bits with
4013 and privileged intents the app has not enabled with 4014.
discord.py asks for ``compress=zlib-stream`` unless zstd is installed; the
fake then compresses each payload with one zlib context per connection and
``Z_SYNC_FLUSH``.  For any other compression it sends text frames, which
discord.py accepts too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from .state import JSON, FakeState

log = logging.getLogger(__name__)

MAX_BACKLOG = 2000
PAYLOADS_PER_MINUTE = 120
KNOWN_INTENTS = (1 << 26) - 1
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


class _Conn:
    """One websocket; a writer task keeps frames ordered (zlib-stream needs that)."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.zlib = zlib.compressobj() if compress else None
        self.queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self.session: Session | None = None
        self.closing = False
        self.task = asyncio.create_task(self._writer())
        self.last_heartbeat = asyncio.get_running_loop().time()
        self.payload_times: list[float] = []
        self.watchdog: asyncio.Task[None] | None = None

    def send(self, payload: JSON) -> None:
        self.queue.put_nowait(payload)

    async def _writer(self) -> None:
        while (payload := await self.queue.get()) is not None:
            if self.ws.closed:
                return
            data = json.dumps(payload)
            try:
                if self.zlib is not None:
                    frame = self.zlib.compress(data.encode()) + self.zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(data)
            except ConnectionError:
                return

    async def close(self, code: int) -> None:
        """Close after the frames queued so far went out."""
        self.closing = True
        self.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.task), 2)
        await self.ws.close(code=code)


@dataclass
class Session:
    id: str
    token: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    backlog: list[JSON] = field(default_factory=list)
    conn: _Conn | None = None

    def dispatch(self, event: str, data: JSON) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.backlog.append(payload)
        del self.backlog[:-MAX_BACKLOG]
        if self.conn is not None and not self.conn.closing:
            self.conn.send(payload)


class GatewayMixin(FakeState):
    """Websocket endpoint plus the reconnect/invalidate controls tests use."""

    valid_tokens: set[str] | None
    _sessions: dict[str, Session]
    _conns: set[_Conn]
    #: (path, query) of every gateway connection, e.g. to check resume_gateway_url was used.
    gateway_connections: list[tuple[str, dict[str, str]]]
    presence_updates: list[JSON]
    #: events re-sent on RESUME because the client missed them.
    replayed_count: int
    _gate: asyncio.Event
    #: seconds between two IDENTIFYs of one rate-limit key (Discord: 5), privileged intents enabled for
    #: the app, connections closed for missing heartbeats, IDENTIFYs refused for the rate limit.
    identify_interval: float
    privileged_intents: int
    heartbeat_timeouts: int
    identify_refused: int
    close_codes: list[int]
    _last_identify: dict[int, float]

    @property
    def resume_gateway_url(self) -> str:
        raise NotImplementedError

    def _add_gateway_routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._ws_handler)
        app.router.add_get("/gateway/resume", self._ws_handler)

    # -- test controls ---------------------------------------------------------------

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def dispatch(
        self, event: str, data: JSON, *, guild_id: int | None = None, intent: int | None = None,
    ) -> int:
        sent = 0
        for session in self._sessions.values():
            if self.shard_of(guild_id, session.shard[1]) != session.shard[0]:
                continue
            if intent is not None and not session.intents & intent:
                continue
            session.dispatch(event, data)
            sent += 1
        return sent

    def request_reconnect(self, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT; the client should reconnect and RESUME (op 6)."""
        for session in self._sessions.values():
            if session.conn is not None and shard_id in (None, session.shard[0]):
                session.conn.send({"op": 7, "d": None})

    def invalidate_session(self, *, resumable: bool = False, shard_id: int | None = None) -> None:
        """Send op 9; a non-resumable session is forgotten so the client must IDENTIFY again."""
        for sid, session in list(self._sessions.items()):
            if shard_id not in (None, session.shard[0]):
                continue
            if session.conn is not None:
                session.conn.send({"op": 9, "d": resumable})
            if not resumable:
                del self._sessions[sid]

    def hold_gateway(self) -> None:
        """Make new gateway connections wait before HELLO, to queue events 'while offline'."""
        self._gate.clear()

    def release_gateway(self) -> None:
        self._gate.set()

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every socket abruptly (sessions stay resumable), like a network blip."""
        for conn in list(self._conns):
            await conn.close(code)

    # -- websocket -----------------------------------------------------------------------

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        await self._gate.wait()
        self.gateway_connections.append((request.path, dict(request.query)))
        if request.query.get("v") != "10" or request.query.get("encoding", "json") != "json":
            await ws.close(code=4012 if request.query.get("v") != "10" else 4002)
            return ws
        conn = _Conn(ws, compress=request.query.get("compress") == "zlib-stream")
        self._conns.add(conn)
        conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gw"]}})
        conn.watchdog = asyncio.create_task(self._watch_heartbeats(conn))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await self._close(conn, 4002)  # the fake speaks JSON text only
                    break
                close_code = self._count_payload(conn) or self._on_frame(conn, json.loads(msg.data))
                if close_code:
                    await self._close(conn, close_code)
                    break
        finally:
            if conn.watchdog is not None:
                conn.watchdog.cancel()
            self._conns.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            conn.queue.put_nowait(None)
            if not any(s.conn for s in self._sessions.values()):
                self.connected.clear()
            self.notify()
        return ws

    async def _close(self, conn: _Conn, code: int) -> None:
        self.close_codes.append(code)
        await conn.close(code)

    def _count_payload(self, conn: _Conn) -> int | None:
        now = asyncio.get_running_loop().time()
        conn.payload_times = [t for t in conn.payload_times if now - t < 60.0]
        conn.payload_times.append(now)
        return 4008 if len(conn.payload_times) > PAYLOADS_PER_MINUTE else None

    async def _watch_heartbeats(self, conn: _Conn) -> None:
        """Disconnect a client that goes silent: no heartbeat within the interval plus Discord's grace."""
        allowed = self.heartbeat_interval_ms / 1000 * 1.5
        loop = asyncio.get_running_loop()
        while not conn.ws.closed:
            await asyncio.sleep(max(0.01, conn.last_heartbeat + allowed - loop.time()))
            if loop.time() - conn.last_heartbeat >= allowed and not conn.ws.closed:
                log.info("fake gateway: no heartbeat for %.2f s; disconnecting", loop.time() - conn.last_heartbeat)
                self.heartbeat_timeouts += 1
                if conn.session is not None:
                    self._sessions.pop(conn.session.id, None)  # a timed-out session cannot be resumed
                await self._close(conn, 4009)
                return

    def _on_frame(self, conn: _Conn, frame: JSON) -> int | None:
        """Handle one client payload; returns a close code to end the connection."""
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            self.heartbeat_count += 1
            conn.last_heartbeat = asyncio.get_running_loop().time()
            conn.send({"op": 11})
            return None
        if op == 2:
            return self._identify(conn, data or {})
        if op == 6:
            return self._resume(conn, data or {})
        if conn.session is None:
            return 4003  # not authenticated
        if op == 3:
            self.presence_updates.append(data or {})
            return None
        if op in (4, 8):
            return None  # voice state / request members: accepted, ignored
        log.warning("fake gateway: unknown op %s", op)
        return 4001

    def _identify(self, conn: _Conn, data: JSON) -> int | None:
        if conn.session is not None:
            return 4005  # already authenticated
        token = str(data.get("token", "")).removeprefix("Bot ")
        self.identify_payloads.append(data)
        self.identify_count += 1
        self.tokens_seen.add(token)
        if not token or (self.valid_tokens is not None and token not in self.valid_tokens):
            return 4004
        shard_id, num_shards = data.get("shard") or (0, 1)
        if not 0 <= shard_id < num_shards:
            return 4010
        intents = int(data.get("intents") or 0)
        if intents & ~KNOWN_INTENTS:
            return 4013
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            return 4014
        now = asyncio.get_running_loop().time()
        last = self._last_identify.get(shard_id % 1)  # max_concurrency 1: one key
        if last is not None and now - last < self.identify_interval - 0.05:
            self.identify_refused += 1
            conn.send({"op": 9, "d": False})  # identified too fast: invalid session, try again later
            return None
        self._last_identify[shard_id % 1] = now
        session = Session(secrets.token_hex(16), token, (shard_id, num_shards), int(data.get("intents") or 0))
        session.conn = conn
        conn.session = session
        self._sessions[session.id] = session
        guilds = [g for g in self.guilds.values() if self.shard_of(g.id, num_shards) == shard_id]
        session.dispatch("READY", {
            "v": 10, "user": self.bot_user_payload(), "session_id": session.id, "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url, "shard": [shard_id, num_shards],
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [], "relationships": [], "presences": [], "user_settings": {},
            "geo_ordered_rtc_regions": [], "guild_join_requests": [], "_trace": ["fake-gw"],
        })
        for guild in guilds:
            session.dispatch("GUILD_CREATE", self.guild_payload(guild))
        log.debug("fake gateway: shard %s/%s identified, %d guilds", shard_id, num_shards, len(guilds))
        self.connected.set()
        self.notify()
        return None

    def _resume(self, conn: _Conn, data: JSON) -> int | None:
        session = self._sessions.get(str(data.get("session_id")))
        token = str(data.get("token", "")).removeprefix("Bot ")
        if session is None or session.token != token:
            conn.send({"op": 9, "d": False})
            return None
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            old.session = None
            asyncio.get_running_loop().create_task(old.close(4000))
        session.conn = conn
        conn.session = session
        last_seen = int(data.get("seq") or 0)
        for payload in session.backlog:
            if payload["s"] > last_seen:
                conn.send(payload)
                self.replayed_count += 1
        session.dispatch("RESUMED", {"_trace": ["fake-gw"]})
        self.resume_count += 1
        self.connected.set()
        self.notify()
        return None

    async def _close_gateway(self) -> None:
        self._gate.set()
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.close(1001)
        for conn in list(self._conns):
            conn.task.cancel()
        self._conns.clear()
