"""Fetcher against a real loopback NewsSite: caching, limits, hostile bodies and error reasons."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.config import NetSettings
from bot.fetch import net
from bot.fetch.net import BlockedAddressError, Fetcher, FetchError, parse_retry_after
from tests.bot.fetch.test_ssrf import StubResolver
from tests.newsite import NewsSite

OPEN = NetSettings(
    allow_private_addresses=True, read_timeout=2.0, connect_timeout=2.0, max_body_bytes=5_000_000
)


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(OPEN) as f:
        yield f


async def test_fetch_sends_user_agent_and_decompresses_gzip(site: NewsSite, fetcher: Fetcher) -> None:
    site.add_article("moon", "Moon landing", "The crew landed safely. " * 40)
    url = site.set_feed("/feed.xml", entries=["moon"])
    resp = await fetcher.fetch(url, accept="application/rss+xml")
    assert resp.status == 200 and not resp.not_modified
    assert resp.body.startswith(b"<?xml") and b"Moon landing" in resp.body
    assert resp.content_type == "application/rss+xml" and resp.charset == "utf-8"
    assert resp.etag and resp.last_modified
    _, _, headers = site.requests[-1]
    assert headers["User-Agent"] == OPEN.user_agent
    assert "gzip" in headers["Accept-Encoding"] and headers["Accept"] == "application/rss+xml"


async def test_conditional_get_returns_not_modified_with_empty_body(site: NewsSite, fetcher: Fetcher) -> None:
    url = site.set_raw("/f.xml", b"<rss/>" * 100, "application/rss+xml")
    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == first.etag
    assert site.requests[-1][2]["If-None-Match"] == first.etag
    # Only Last-Modified known: the site still answers 304.
    third = await fetcher.fetch(url, last_modified=first.last_modified)
    assert third.not_modified
    site.set_raw("/f.xml", b"<rss>changed</rss>", "application/rss+xml")
    fourth = await fetcher.fetch(url, etag=first.etag)
    assert not fourth.not_modified and fourth.body == b"<rss>changed</rss>"


async def test_redirects_are_followed_and_final_url_reported(site: NewsSite, fetcher: Fetcher) -> None:
    site.set_raw("/new.xml", b"<rss>new home</rss>", "application/rss+xml")
    site.redirect("/old.xml", "/middle.xml")
    site.redirect("/middle.xml", site.url("/new.xml"), status=308)
    resp = await fetcher.fetch(site.url("/old.xml"))
    assert resp.url == site.url("/new.xml") and resp.body == b"<rss>new home</rss>"


async def test_redirect_loop_gives_up(site: NewsSite) -> None:
    async with Fetcher(NetSettings(allow_private_addresses=True, max_redirects=3)) as f:
        with pytest.raises(FetchError, match="too many redirects"):
            await f.fetch(site.url("/hostile/redirect-loop"))
    assert site.hits["/hostile/redirect-loop"] == 4


async def test_every_redirect_hop_is_checked(site: NewsSite, fetcher: Fetcher) -> None:
    # Private addresses are allowed here (the site is on loopback), but schemes are checked on every hop.
    site.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(BlockedAddressError, match="only http and https"):
        await fetcher.fetch(site.url("/to-file"))
    assert site.hits["/to-file"] == 1


async def test_metadata_address_blocked_before_any_connection() -> None:
    async with Fetcher(NetSettings(allow_private_addresses=False, connect_timeout=0.5)) as f:
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch("http://169.254.169.254/latest/meta-data/")
    assert err.value.permanent and "169.254.169.254" in err.value.reason


async def test_dns_answers_are_filtered_inside_the_connector() -> None:
    resolver = StubResolver({"intranet.test": ["10.1.2.3", "fd00::1"]})
    async with Fetcher(NetSettings(), resolver=resolver) as f:
        with pytest.raises(BlockedAddressError, match="resolves only to private") as err:
            await f.fetch("http://intranet.test/feed.xml")
    assert err.value.permanent and resolver.calls == ["intranet.test"]


async def test_loopback_url_refused_when_private_not_allowed(site: NewsSite) -> None:
    site.set_raw("/secret", b"secret", "text/plain")
    async with Fetcher(NetSettings()) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch(site.url("/secret"))
        with pytest.raises(BlockedAddressError):
            await f.fetch(f"http://localhost:{site.port}/secret")
        with pytest.raises(BlockedAddressError):
            await f.fetch(f"http://2130706433:{site.port}/secret")
    assert site.hits["/secret"] == 0


async def test_unicode_spelling_of_loopback_never_connects(site: NewsSite) -> None:
    # yarl maps fullwidth digits to 127.0.0.1 and aiohttp then skips the resolver for a literal.
    site.set_raw("/secret", b"secret", "text/plain")
    async with Fetcher(NetSettings()) as f:
        for host in ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "127\u30020\u30020\u30021"):
            with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1 is private"):
                await f.fetch(f"http://{host}:{site.port}/secret")
    assert site.hits["/secret"] == 0


@pytest.mark.parametrize(
    ("path", "status", "permanent", "text"),
    [
        ("/hostile/403", 403, True, "HTTP 403 Forbidden: the site refuses our requests"),
        ("/hostile/500", 500, False, "HTTP 500 Internal Server Error"),
        ("/nope", 404, True, "HTTP 404 Not Found"),
    ],
)
async def test_http_errors_have_readable_reasons(
    site: NewsSite, fetcher: Fetcher, path: str, status: int, permanent: bool, text: str
) -> None:
    with pytest.raises(FetchError) as err:
        await fetcher.fetch(site.url(path))
    assert err.value.status == status and err.value.permanent is permanent
    assert err.value.reason.startswith(text)
    assert not isinstance(err.value, BlockedAddressError)


async def test_429_carries_retry_after(site: NewsSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as err:
        await fetcher.fetch(site.url("/hostile/429"))
    assert err.value.status == 429 and err.value.retry_after == 120.0 and not err.value.permanent
    assert "retry in 120 s" in err.value.reason


async def test_injected_503_with_http_date_then_recovery(site: NewsSite, fetcher: Fetcher) -> None:
    url = site.set_raw("/f.xml", b"<rss/>", "application/rss+xml")
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    site.fail("/f.xml", 503, times=1, headers={"Retry-After": when})
    with pytest.raises(FetchError) as err:
        await fetcher.fetch(url)
    assert err.value.retry_after is not None and 80 <= err.value.retry_after <= 91
    assert (await fetcher.fetch(url)).body == b"<rss/>"


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 01 May 2024 12:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_gzip_bomb_refused_without_inflating(site: NewsSite, monkeypatch) -> None:
    inflated: list[int] = []
    real_emit = net._Decoder._emit
    monkeypatch.setattr(net._Decoder, "_emit", lambda self, piece, out: (inflated.append(len(piece)),
                                                                          real_emit(self, piece, out)))
    patient = dataclasses.replace(OPEN, read_timeout=60.0)  # a busy machine must not turn this into a timeout
    async with Fetcher(patient) as f:
        with pytest.raises(FetchError, match="larger than 5 MB once decompressed"):
            await f.fetch(site.url("/hostile/gzip-bomb"))
    # The 120 MB bomb stopped one decompressed piece past the 5 MB cap, not after inflating it all.
    assert 5_000_000 < sum(inflated) <= 5_000_000 + max(inflated) and max(inflated) <= 5_000_001


async def test_huge_streamed_body_refused_early(site: NewsSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="larger than 5 MB") as err:
        await fetcher.fetch(site.url("/hostile/huge"))
    assert not err.value.permanent
    with pytest.raises(FetchError, match="larger than 1 MB"):
        await fetcher.fetch(site.url("/hostile/huge-declared"), max_bytes=1_000_000)


async def test_slow_drip_times_out(site: NewsSite) -> None:
    async with Fetcher(NetSettings(allow_private_addresses=True, read_timeout=1.5)) as f:
        with pytest.raises(FetchError, match=r"timed out after 1\.5 s"):
            await f.fetch(site.url("/hostile/slow"))
    # The endless body (one byte a second) was abandoned after a couple of bytes, not read on.
    assert 1 <= site.drip_writes <= 3


async def test_timeout_covers_the_whole_redirect_chain(site: NewsSite) -> None:
    # Each hop used to get a fresh read_timeout: 5 hops of 0.6 s passed a 1.5 s limit.
    async with Fetcher(NetSettings(allow_private_addresses=True, read_timeout=1.5)) as f:
        with pytest.raises(FetchError, match=r"timed out after 1\.5 s"):
            await f.fetch(site.url("/hostile/slow-redirect?n=4&ms=600"))
        # 1.5 s covers at most three 0.6 s hops of the five: per-hop timeouts would have walked them all.
        assert site.hits["/hostile/slow-redirect"] <= 3
        fast = await f.fetch(site.url("/hostile/slow-redirect?n=4&ms=50"))
    assert fast.body == b"arrived"
    assert site.hits["/hostile/slow-redirect"] <= 3 + 5


async def test_connection_refused_is_a_fetch_error() -> None:
    async with NewsSite() as s:
        dead = s.url("/gone")
    async with Fetcher(OPEN) as f:
        with pytest.raises(FetchError, match="could not connect") as err:
            await f.fetch(dead)
    assert not err.value.permanent


async def test_bad_scheme_is_blocked(fetcher: Fetcher) -> None:
    with pytest.raises(BlockedAddressError, match="only http and https"):
        await fetcher.fetch("file:///etc/passwd")


async def test_per_host_and_total_limits(site: NewsSite) -> None:
    settings = NetSettings(allow_private_addresses=True, per_host_concurrency=2, total_concurrency=8)
    async with Fetcher(settings) as f:
        await asyncio.gather(*(f.fetch(site.url(f"/delay?ms=150&i={i}")) for i in range(6)))
    assert site.max_in_flight == 2

    site.max_in_flight = 0
    settings = NetSettings(allow_private_addresses=True, per_host_concurrency=5, total_concurrency=1)
    async with Fetcher(settings) as f:
        await asyncio.gather(*(f.fetch(site.url(f"/delay?ms=50&i={i}")) for i in range(3)))
    assert site.max_in_flight == 1
