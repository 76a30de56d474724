"""One spelling per article URL, so the same story reached via a tracker link, an AMP page or a
differently-ordered query string is recognised as already seen."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}

# Exact parameter names that only track where a click came from.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
    "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "ocid", "cmpid", "cmp", "_ga", "_gl",
    "igshid", "igsh", "s_cid", "smid", "smtyp", "ncid", "sr_share", "icid", "xtor",
    "wt.mc_id", "wt_mc_id", "ito", "at_medium", "at_campaign", "mkt_tok",
    "__twitter_impression", "amp", "guccounter", "guce_referrer", "guce_referrer_sig",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "oly_", "vero_", "_hs", "hsa_", "__s")

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


def _is_noise(name: str, value: str) -> bool:
    """Tracking parameters, and the query forms of AMP (`?amp=1`, `outputType=amp`)."""
    n = name.lower()
    if n == "outputtype":
        return value.lower() == "amp"
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # keep what we have; a malformed label cannot be looked up anyway
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    return host


def _strip_amp_suffix(segment: str) -> str:
    """"story.amp.html" -> "story.html", "story.amp" -> "story": AMP markers before the extension or at
    the end, however many (a loop over suffixes, where a pattern backtracked over every ".amp")."""
    lower = segment.lower()
    ext = 5 if lower.endswith(".html") else 4 if lower.endswith(".htm") else 0
    end = len(segment) - ext
    start = end
    while lower.endswith(".amp", 0, start):
        start -= 4
    return segment[:start] + segment[end:]


def _path(path: str) -> str:
    # Empty and "amp" segments go first; then the last segment loses its AMP suffix, and while that leaves
    # nothing (or "amp"), the one before it is next. One pass reaches the fixed point: idempotent.
    segments = [s for s in unquote(path).split("/") if s and s.lower() != "amp"]
    while segments:
        last = _strip_amp_suffix(segments[-1])
        if last and last.lower() != "amp":
            segments[-1] = last
            break
        segments.pop()
    return quote("/" + "/".join(segments), safe=_PATH_SAFE)


def canonicalize(url: str) -> str:
    """Lowercased scheme and host (IDNA), no default port, fragment, tracking or AMP markers; sorted
    query; no trailing slash except the root. Idempotent. Non-http(s) input is returned stripped."""
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return raw
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not hostname:
        return raw
    netloc = _host(hostname)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k and not _is_noise(k, v)
    )
    return urlunsplit((scheme, netloc, _path(parts.path), urlencode(query, quote_via=quote), ""))
