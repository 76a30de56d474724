"""Keeps user-given feed URLs from reaching the bot's own machine or private network.

Anyone in a guild can type /feed add, so a URL is hostile until proven otherwise: it may name a loopback,
cloud-metadata (169.254.169.254) or LAN address directly, in an odd numeric spelling, through DNS, or
behind a redirect. Two checks cover that: `check_url` rejects bad schemes and literal addresses before a
request, and `GuardedResolver` filters the DNS answers aiohttp connects to, so the address checked is the
address used (no gap between a check and a second lookup).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Ranges that Python's flags miss or that 3.11 gets wrong for embedded IPv4.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost on Linux
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "255.255.255.255/32",
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local (deprecated, still routed by some stacks)
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")


class UnsafeAddressError(OSError):
    """A URL or DNS answer the bot must not connect to.

    An OSError so that aiohttp wraps it (in ClientConnectorDNSError) when the resolver raises it,
    which lets the fetcher tell it apart from an ordinary DNS failure.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True when `ip` is a globally routable unicast address, looking through IPv6 wrappers of IPv4."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 address, nothing more
            return is_public_address(ip.ipv4_mapped)
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(inner):
            return False
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip.version == net.version and ip in net for net in _EXTRA_BLOCKED)


def parse_host_ip(host: str) -> IPAddress | None:
    """The address a URL host denotes if it is a literal, including legacy IPv4 spellings.

    `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` all mean 127.0.0.1 to inet_aton (and to curl and
    browsers), so they are read the same way here instead of being mistaken for host names.
    """
    h = host.strip().rstrip(".").strip("[]")
    if not h:
        return None
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h.split("%", 1)[0])
        except ValueError:
            return None
    try:
        return ipaddress.IPv4Address(h)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(h) and (h[0].isdigit()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return None
    return None


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Raise UnsafeAddressError unless `url` is http(s) with a host that is not a non-public literal;
    returns the host as the connection will use it (yarl's reading), the name that was judged."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise UnsafeAddressError("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeAddressError(f"only http and https URLs are allowed, not {scheme or 'no scheme'}")
    if not host:
        raise UnsafeAddressError("the URL has no host name")
    connect_host = _connect_host(url) or host
    if allow_private:
        return connect_host
    for name in filter(None, (host, connect_host)):
        ip = parse_host_ip(name)
        if ip is not None and not is_public_address(ip):
            raise UnsafeAddressError(f"the address {ip} is private or reserved")
        name = name.lower().rstrip(".")
        if ip is None and (name == "localhost" or name.endswith(".localhost")):
            raise UnsafeAddressError("localhost is not allowed")
    return connect_host


def _connect_host(url: str) -> str | None:
    """The host as yarl (and so aiohttp) reads it, after IDNA/NFKC mapping.

    `http://１２７.０.０.１/` is a name to urlsplit but the literal 127.0.0.1 to yarl, and aiohttp connects
    to literals without asking the resolver, so the guard must see this spelling too.
    """
    try:
        return URL(url.strip()).host
    except (ValueError, TypeError):
        return None  # the fetcher refuses a URL yarl cannot read


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and drops every non-public answer; raises when none is left.

    aiohttp connects only to what the resolver returns, so filtering here closes the DNS-rebinding gap
    that a separate "resolve, check, then connect" would leave open.
    """

    def __init__(self, inner: AbstractResolver | None = None, *, allow_private: bool = False) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = host.rstrip(".").lower()
        if not self._allow_private and (name == "localhost" or name.endswith(".localhost")):
            raise UnsafeAddressError("localhost is not allowed")
        answers = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return answers
        kept: list[ResolveResult] = []
        for answer in answers:
            ip = parse_host_ip(answer["host"])
            if ip is not None and is_public_address(ip):
                kept.append(answer)
            else:
                log.warning("dropped non-public DNS answer %s for %s", answer["host"], host)
        if not kept:
            raise UnsafeAddressError(f"{host} resolves only to private or reserved addresses")
        return kept

    async def close(self) -> None:
        await self._inner.close()
