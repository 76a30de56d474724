"""Discord's rate limits, enforced: per-route buckets, the 5 messages / 5 s per channel limit, the global
50 requests per second, 429 with ``retry_after`` when a client goes over, and the invalid-request count.

Every answer carries ``X-RateLimit-*`` headers describing its bucket, so a well-behaved client (discord.py
reads them) can pace itself and never see a 429; one that ignores them gets real 429s.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: (limit, seconds) per (method, route template below /api/v10); per major parameter (channel, webhook...).
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel}/messages"): (5, 5.0),
    ("POST", "/webhooks/{app}/{token}"): (5, 2.0),
    ("POST", "/channels/{channel}/messages/{message}/crosspost"): (10, 3600.0),
    ("POST", "/channels/{channel}/threads"): (10, 10.0),
    ("POST", "/channels/{channel}/messages/{message}/threads"): (10, 10.0),
    ("POST", "/channels/{channel}/webhooks"): (5, 5.0),
    ("PUT", "/applications/{app}/commands"): (5, 20.0),
}
DEFAULT_LIMIT = (50, 1.0)
GLOBAL_LIMIT = (50, 1.0)
_MAJOR = ("channel", "guild", "app", "token", "interaction")


@dataclass
class Bucket:
    limit: int
    per: float
    used: int = 0
    resets_at: float = 0.0


@dataclass
class Verdict:
    """Headers to send; `retry_after` set when the request must be refused with 429."""

    headers: dict[str, str]
    retry_after: float | None = None
    scope: str = "user"


@dataclass
class RateLimiter:
    clock: Callable[[], float] = time.monotonic
    enabled: bool = True
    route_limits: dict[tuple[str, str], tuple[int, float]] = field(default_factory=lambda: dict(ROUTE_LIMITS))
    global_limit: tuple[int, float] = GLOBAL_LIMIT
    buckets: dict[tuple[str, str, tuple[str, ...]], Bucket] = field(default_factory=dict)
    global_bucket: Bucket = field(default_factory=lambda: Bucket(*GLOBAL_LIMIT))
    #: 429s answered, as (method, path, scope), and requests Discord counts as invalid (401, 403, 429).
    limited: list[tuple[str, str, str]] = field(default_factory=list)
    invalid_requests: int = 0

    def check(self, method: str, template: str, params: dict[str, str], *, counts_global: bool) -> Verdict:
        now = self.clock()
        limit, per = self.route_limits.get((method, template), DEFAULT_LIMIT)
        major = tuple(params.get(k, "") for k in _MAJOR)
        bucket = self.buckets.setdefault((method, template, major), Bucket(limit, per))
        if now >= bucket.resets_at:
            bucket.used, bucket.resets_at = 0, now + bucket.per
        name = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()[:16]
        if self.enabled and counts_global:
            glob = self.global_bucket
            glob.limit, glob.per = self.global_limit
            if now >= glob.resets_at:
                glob.used, glob.resets_at = 0, now + glob.per
            if glob.used >= glob.limit:
                after = glob.resets_at - now
                return Verdict({**_retry_headers(after), "X-RateLimit-Global": "true",
                                "X-RateLimit-Scope": "global"}, after, "global")
        if self.enabled and bucket.used >= bucket.limit:
            after = bucket.resets_at - now
            return Verdict({**self._headers(bucket, name, now), **_retry_headers(after),
                            "X-RateLimit-Scope": "user"}, after, "user")
        bucket.used += 1
        if self.enabled and counts_global:
            self.global_bucket.used += 1
        return Verdict(self._headers(bucket, name, now))

    @staticmethod
    def _headers(bucket: Bucket, name: str, now: float) -> dict[str, str]:
        after = max(0.0, bucket.resets_at - now)
        left = max(0, bucket.limit - bucket.used)
        return {"X-RateLimit-Limit": str(bucket.limit), "X-RateLimit-Remaining": str(left),
                "X-RateLimit-Reset": f"{time.time() + after:.3f}", "X-RateLimit-Reset-After": f"{after:.3f}",
                "X-RateLimit-Bucket": name}

    def record(self, method: str, path: str, status: int, scope: str | None) -> None:
        if status == 429:
            self.limited.append((method, path, scope or "user"))
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self.invalid_requests += 1


def _retry_headers(after: float) -> dict[str, str]:
    # Via: discord.py treats a 429 without it as a Cloudflare ban rather than a rate limit.
    return {"Retry-After": str(max(1, math.ceil(after))), "Via": "1.1 google"}


def too_many(verdict: Verdict) -> dict[str, object]:
    assert verdict.retry_after is not None
    return {"message": "You are being rate limited.", "retry_after": round(verdict.retry_after, 3),
            "global": verdict.scope == "global", "code": 0}
