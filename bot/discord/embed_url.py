"""Whether Discord takes a URL in an embed (title link, author link, thumbnail, image).

Discord refuses the whole message with 400 50035 "Not a well formed URL." when any embed URL has a host it
cannot parse: `https://[::1`, `https://%`, `https://a..b`. Feed and page input decide these URLs, so one
bad link must cost only its field, never the story: render drops a URL this check refuses.

Deliberately strict (a dropped link costs little; a refused message costs the story): http(s) only, no
user info, a valid port, and a host that is an IP address or dot-separated labels of 1-63 letters, digits,
hyphens or underscores (non-ASCII hosts must convert to IDNA).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

URL_LIMIT = 2048
HOST_LIMIT = 253
_SHAPE = re.compile(r"https?://[^\s<>\"\x00-\x1f\x7f]+\Z", re.IGNORECASE)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z", re.IGNORECASE)


def well_formed_url(url: str | None) -> bool:
    if not url or len(url) > URL_LIMIT or not _SHAPE.match(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:  # "https://[::1": an unclosed IPv6 bracket
        return False
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or "%" in parts.netloc:
        return False
    host = parts.hostname or ""
    return _host_ok(host, bracketed=parts.netloc.startswith("["))


def _host_ok(host: str, *, bracketed: bool) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    if not host or len(host) > HOST_LIMIT:
        return False
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return False
    return all(_LABEL.match(label) for label in host.split("."))
