"""Polite, bounded HTTP fetching for feeds and article pages over one shared aiohttp session.

Everything here assumes the far end may be slow, huge, compressed into a bomb, redirecting in circles
or pointing at our own network, because feed URLs come from any guild member. Callers get a small
frozen `FetchResponse` or a `FetchError` whose `reason` can be shown in Discord as is; aiohttp's own
exceptions never escape.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import logging
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from bot.config import NetSettings
from bot.fetch.ssrf import GuardedResolver, UnsafeAddressError, check_url

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({401, 403, 404, 405, 410, 451})
_CHUNK = 64 * 1024
_MAX_RETRY_AFTER = 7 * 86_400.0

_STATUS_HINTS = {
    401: "the feed needs a login",
    403: "the site refuses our requests",
    404: "nothing at this address",
    410: "the site removed this address",
    429: "the site asks us to slow down",
    451: "unavailable for legal reasons",
    503: "the site is temporarily unavailable",
}


@dataclass(frozen=True, slots=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    body: bytes  # decompressed; empty for 304
    content_type: str | None
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


class FetchError(Exception):
    """A fetch that produced no usable body; `reason` is short text fit to show a Discord user."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
        url: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent
        self.url = url


class BlockedAddressError(FetchError):
    """The URL, a redirect or every DNS answer points somewhere the bot must not go."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(f"blocked address: {reason}", permanent=True, url=url)


def _size_text(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), _MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), _MAX_RETRY_AFTER)


def _status_error(status: int, headers: CIMultiDict[str] | None, url: str) -> FetchError:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    retry_after = parse_retry_after(headers.get("Retry-After")) if headers and status in (429, 503) else None
    fallback = "the site is having trouble" if status >= 500 else "unexpected reply"
    hint = _STATUS_HINTS.get(status) or fallback
    reason = f"HTTP {status} {phrase}: {hint}"
    if retry_after is not None:
        reason += f" (retry in {retry_after:.0f} s)"
    return FetchError(reason, status=status, retry_after=retry_after, permanent=status in _PERMANENT, url=url)


class _Decoder:
    """Streams Content-Encoding away with a hard cap on output, so a bomb stops at the cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._raw_deflate_tried = False
        self._encoding = encoding
        self._obj = self._make(encoding)

    @staticmethod
    def _make(encoding: str) -> zlib._Decompress | None:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)
        return None

    def feed(self, data: bytes, out: bytearray) -> None:
        if self._obj is None:
            self._emit(data, out)
            return
        while data:
            room = self._limit - self._size + 1
            try:
                piece = self._obj.decompress(data, room)
            except zlib.error:
                if self._encoding == "deflate" and not self._raw_deflate_tried and self._size == 0:
                    # Some servers send raw deflate without the zlib header.
                    self._raw_deflate_tried = True
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._emit(piece, out)
            data = self._obj.unconsumed_tail

    def _emit(self, piece: bytes, out: bytearray) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            raise FetchError(f"response larger than {_size_text(self._limit)} once decompressed")
        out += piece


class Fetcher:
    """One aiohttp session shared by every fetch, with per-host and total concurrency limits.

    Pass `session` to share one made elsewhere; then the DNS filtering of `GuardedResolver` is only as
    good as that session's connector, so prefer letting the Fetcher build its own.
    """

    def __init__(
        self,
        settings: NetSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        resolver: aiohttp.abc.AbstractResolver | None = None,
    ) -> None:
        self.settings = settings
        self._session = session
        self._owns_session = session is None
        self._inner_resolver = resolver
        self._total = asyncio.Semaphore(settings.total_concurrency)
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._session is not None:
            return
        s = self.settings
        resolver = GuardedResolver(self._inner_resolver, allow_private=s.allow_private_addresses)
        connector = aiohttp.TCPConnector(
            resolver=resolver, limit=s.total_concurrency, limit_per_host=0, ttl_dns_cache=60
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=s.connect_timeout, sock_read=s.read_timeout
            ),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold this host's semaphore, then a global one; the per-host table forgets idle hosts."""
        sem, users = self._hosts.get(host) or (asyncio.Semaphore(self.settings.per_host_concurrency), 0)
        self._hosts[host] = (sem, users + 1)
        try:
            async with sem, self._total:
                yield
        finally:
            sem, users = self._hosts[host]
            if users <= 1:
                del self._hosts[host]
            else:
                self._hosts[host] = (sem, users - 1)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> FetchResponse:
        """GET `url`, following redirects by hand so that every hop passes the address guard."""
        if self._session is None:
            await self.start()
        limit = max_bytes or self.settings.max_body_bytes
        headers = {"Accept": accept or "*/*", "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        # read_timeout bounds the whole fetch, redirects included: a server that drips each of
        # max_redirects hops just under the limit must not hold a slot for (max_redirects + 1) times it.
        budget = [self.settings.read_timeout]
        for _hop in range(self.settings.max_redirects + 1):
            result = await self._hop(current, headers, limit, etag, last_modified, budget)
            if isinstance(result, FetchResponse):
                return result
            log.debug("redirect %s -> %s", current, result)
            current = result
        raise FetchError(f"too many redirects (more than {self.settings.max_redirects})", url=url)

    async def _hop(
        self, url: str, headers: dict[str, str], limit: int, etag: str | None, last_modified: str | None,
        budget: list[float],
    ) -> FetchResponse | str:
        """One request: a response, or the next URL when it is a redirect. `budget[0]` is the time left
        for the fetch; this hop spends from it (waiting for a slot is not counted)."""
        try:
            check_url(url, allow_private=self.settings.allow_private_addresses)
            target = URL(url)
        except UnsafeAddressError as exc:
            raise BlockedAddressError(exc.reason, url=url) from None
        except ValueError:
            raise FetchError("not a valid URL", permanent=True, url=url) from None
        assert self._session is not None
        timeout = self.settings.read_timeout
        loop = asyncio.get_running_loop()
        try:
            async with self._slot(target.host or ""):
                started = loop.time()
                try:
                    async with asyncio.timeout(max(budget[0], 0.0)):
                        return await self._request(target, headers, limit, etag, last_modified)
                finally:
                    budget[0] -= loop.time() - started
        except FetchError as exc:
            exc.url = exc.url or url
            raise
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, UnsafeAddressError):
                raise BlockedAddressError(exc.os_error.reason, url=url) from None
            raise FetchError(f"could not find the host {target.host}", url=url) from None
        except aiohttp.ConnectionTimeoutError:
            raise FetchError(
                f"could not connect within {self.settings.connect_timeout:g} s", url=url
            ) from None
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError):
            raise FetchError("the site's TLS certificate or handshake is not valid", url=url) from None
        except aiohttp.ClientConnectorError as exc:
            why = exc.strerror or "refused"
            raise FetchError(f"could not connect to {target.host}: {why}", url=url) from None
        except TimeoutError:  # asyncio.timeout and aiohttp's socket read timeout
            raise FetchError(f"timed out after {timeout:g} s", url=url) from None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
            raise FetchError("the connection broke off mid-response", url=url) from None
        except zlib.error:
            raise FetchError("the response's compression is corrupt", url=url) from None
        except (aiohttp.InvalidURL, ValueError):
            raise FetchError("not a valid URL", permanent=True, url=url) from None
        except aiohttp.ClientError as exc:
            log.info("fetch %s failed: %r", url, exc)
            raise FetchError(f"network error ({type(exc).__name__})", url=url) from None

    async def _request(
        self, target: URL, headers: dict[str, str], limit: int, etag: str | None, last_modified: str | None
    ) -> FetchResponse | str:
        assert self._session is not None
        async with self._session.get(
            target, headers=headers, allow_redirects=False, auto_decompress=False
        ) as resp:
            url = str(resp.url)
            if resp.status in _REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise FetchError(f"HTTP {resp.status} redirect without a Location", status=resp.status)
                return str(resp.url.join(URL(location)))
            if resp.status == 304:
                return FetchResponse(
                    url=url, status=304, body=b"", content_type=None, charset=None,
                    etag=resp.headers.get("ETag") or etag,
                    last_modified=resp.headers.get("Last-Modified") or last_modified,
                    not_modified=True,
                )
            if not 200 <= resp.status < 300:
                raise _status_error(resp.status, CIMultiDict(resp.headers), url)
            body = await self._read_body(resp, limit)
            return FetchResponse(
                url=url,
                status=resp.status,
                body=body,
                content_type=resp.content_type if "Content-Type" in resp.headers else None,
                charset=resp.charset,
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
            )

    @staticmethod
    async def _read_body(resp: aiohttp.ClientResponse, limit: int) -> bytes:
        """Read in chunks, refusing as soon as the wire or decompressed size passes `limit`."""
        too_big = FetchError(f"response larger than {_size_text(limit)}")
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise too_big
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported content encoding {encoding!r}")
        decoder = _Decoder(encoding, limit)
        out = bytearray()
        wire = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            wire += len(chunk)
            if wire > limit:
                raise too_big
            decoder.feed(chunk, out)
        return bytes(out)
