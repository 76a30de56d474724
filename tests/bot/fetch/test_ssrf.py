"""The address guard: literal IPs in every spelling, schemes, and filtered DNS answers."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.fetch.ssrf import GuardedResolver, UnsafeAddressError, check_url, is_public_address, parse_host_ip


class StubResolver(AbstractResolver):
    """Answers from a table, so DNS cases run without a network."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host, host=ip, port=port,
                family=socket.AF_INET6 if ":" in ip else socket.AF_INET, proto=0, flags=0,
            )
            for ip in self.table[host]
        ]

    async def close(self) -> None:
        self.closed = True


BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.8.9.10:8080/x",
    "http://localhost/",
    "http://api.localhost./",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",  # CGNAT
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f.1/",  # hex + short form
    "http://0177.0.0.1/",  # octal
    "http://127.1/",
    "http://0x7f000001/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[::ffff:a9fe:a9fe]/",  # IPv4-mapped metadata address
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fd12:3456::1]/",  # unique local
    "http://[ff02::1]/",
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 wrapping 10.0.0.1
    "http://127.0.0.1./",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # fullwidth digits: yarl reads 127.0.0.1
    "http://127\u30020\u30020\u30021/",  # ideographic full stops
    "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",  # circled letters: "localhost"
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_non_public_literals_are_refused(url: str) -> None:
    with pytest.raises(UnsafeAddressError):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [("https://example.com/feed", "example.com"), ("http://93.184.216.34/", "93.184.216.34"),
     ("http://[2606:4700::1111]/", "2606:4700::1111"), ("HTTP://Example.COM", "example.com"),
     ("http://\uff45xample.com/", "example.com")],  # fullwidth "e": judged as yarl will connect
)
def test_public_urls_pass_and_the_judged_host_is_the_one_connected_to(url: str, host: str) -> None:
    assert check_url(url) == host


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "example.com/feed",
     "http:///nohost"],
)
def test_bad_schemes_and_hostless_urls_refused_even_when_private_allowed(url: str) -> None:
    with pytest.raises(UnsafeAddressError):
        check_url(url, allow_private=True)


def test_private_allowed_lets_loopback_through() -> None:
    with pytest.raises(UnsafeAddressError, match="private"):
        check_url("http://127.0.0.1:8080/feed")
    assert check_url("http://127.0.0.1:8080/feed", allow_private=True) == "127.0.0.1"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"),
     ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("example.com", None), ("1e100.net", None), ("cafe.de", None)],
)
def test_parse_host_ip_reads_legacy_forms(host: str, expected: str | None) -> None:
    ip = parse_host_ip(host)
    assert (str(ip) if ip else None) == expected


def test_is_public_address_unwraps_ipv6_forms() -> None:
    assert is_public_address(ipaddress.ip_address("8.8.8.8"))
    assert is_public_address(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert not is_public_address(ipaddress.ip_address("::ffff:192.168.0.1"))
    assert not is_public_address(ipaddress.ip_address("2001::1"))  # Teredo block is not global


async def test_resolver_drops_private_answers_and_keeps_public() -> None:
    stub = StubResolver({"mixed.test": ["127.0.0.1", "93.184.216.34", "::1"]})
    guard = GuardedResolver(stub)
    answers = await guard.resolve("mixed.test", 80)
    assert [a["host"] for a in answers] == ["93.184.216.34"]


async def test_resolver_refuses_when_only_private_answers() -> None:
    guard = GuardedResolver(StubResolver({"rebind.test": ["169.254.169.254", "::ffff:10.0.0.1"]}))
    with pytest.raises(UnsafeAddressError, match="only to private"):
        await guard.resolve("rebind.test", 443)


async def test_resolver_refuses_localhost_without_asking_dns() -> None:
    stub = StubResolver({})
    with pytest.raises(UnsafeAddressError):
        await GuardedResolver(stub).resolve("localhost", 80)
    assert stub.calls == []


async def test_resolver_passes_everything_when_private_allowed_and_closes_inner() -> None:
    stub = StubResolver({"lan.test": ["192.168.0.10"]})
    guard = GuardedResolver(stub, allow_private=True)
    assert [a["host"] for a in await guard.resolve("lan.test", 80)] == ["192.168.0.10"]
    await guard.close()
    assert stub.closed
