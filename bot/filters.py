"""Per-subscription include/exclude filters: which stories a channel wants.

Syntax: comma-separated keywords (case-insensitive, whole words: "ai" does not match "said"), or one
`/regex/` (optionally `/regex/i`; regexes are always case-insensitive). Filters are typed by guild members,
so a regex is treated as hostile: its length is capped, nested quantifiers such as `(a+)+` (catastrophic
backtracking, which would stall the whole bot inside `re`) are refused, and the text it runs on is capped.
"""

from __future__ import annotations

import functools
import logging
import re
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

log = logging.getLogger(__name__)

MAX_PATTERN_CHARS = 200
MAX_KEYWORDS = 50
MAX_TEXT_CHARS = 4000  # title + bullets fit comfortably; the full article text is never matched

_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)} - {None}
_MAXREPEAT = sre_parse.MAXREPEAT


def _is_regex(expr: str) -> bool:
    return len(expr) >= 2 and expr.startswith("/") and (expr.endswith("/") or expr.endswith("/i"))


def _regex_body(expr: str) -> str:
    return expr[1:-2] if expr.endswith("/i") and len(expr) >= 3 else expr[1:-1]


def _nested_repeat(items: Any, inside_repeat: bool) -> bool:
    """True when a repeat that can run many times contains another repeat: (a+)+, (a*b)*, (x{1,9})+ ...

    Deliberately conservative: `(\\s\\w+)*` is refused too, even though the \\s makes it safe, because
    telling the safe from the exponential cases reliably is harder than asking for a simpler pattern.
    """
    for op, av in items:
        if op in _REPEATS:
            _lo, hi, sub = av
            if inside_repeat and hi > 1:
                return True
            if _nested_repeat(sub, inside_repeat or hi == _MAXREPEAT or hi > 10):
                return True
        else:
            for sub in _children(op, av):
                if _nested_repeat(sub, inside_repeat):
                    return True
    return False


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of a group, an alternation or a lookaround, to search for repeats in."""
    if op is sre_parse.SUBPATTERN:
        return [av[-1]]
    if op is sre_parse.BRANCH:
        return list(av[1])
    if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
        return [av[1]]
    return []


def _keywords(expr: str) -> list[str]:
    return [k.strip() for k in expr.split(",") if k.strip()]


def validate_filter(expr: str) -> str | None:
    """An error message fit to show the person who typed `expr`, or None when it is usable."""
    expr = expr.strip()
    if not expr:
        return None
    if _is_regex(expr):
        body = _regex_body(expr)
        if not body:
            return "the regex between the slashes is empty"
        if len(body) > MAX_PATTERN_CHARS:
            return f"the regex is {len(body)} characters long; the limit is {MAX_PATTERN_CHARS}"
        try:
            parsed = sre_parse.parse(body, re.IGNORECASE)
        except re.error as exc:
            return f"the regex is not valid: {exc}"
        except RecursionError:
            return "the regex is nested too deeply"
        if _nested_repeat(list(parsed), inside_repeat=False):
            return ("the regex repeats something that itself repeats, like (a+)+; such patterns can take "
                    "forever on some text. Rewrite it without the nested repetition")
        if re.search(r"\\\d|\(\?P=", body):
            return "back-references are not allowed in filters"
        return None
    keywords = _keywords(expr)
    if not keywords:
        return "give at least one keyword (comma-separated), or a /regex/"
    if len(keywords) > MAX_KEYWORDS:
        return f"{len(keywords)} keywords is too many; the limit is {MAX_KEYWORDS}"
    if len(expr) > MAX_PATTERN_CHARS * 5:
        return f"the keyword list is too long; the limit is {MAX_PATTERN_CHARS * 5} characters"
    return None


@functools.lru_cache(maxsize=1024)
def _compile(expr: str) -> re.Pattern[str] | None:
    """The pattern for a filter; None when it is invalid (a filter stored before the rules tightened)."""
    if validate_filter(expr) is not None:
        return None
    if _is_regex(expr):
        return re.compile(_regex_body(expr), re.IGNORECASE)
    words = [r"\s+".join(re.escape(part) for part in k.split()) for k in _keywords(expr)]
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


def matches(include: str | None, exclude: str | None, text: str) -> bool:
    """Whether a story with this text passes a subscription's filters.

    An empty include lets everything in; an exclude that matches keeps the story out. An invalid include
    lets nothing in and an invalid exclude keeps nothing out, both logged: a broken filter should be noticed,
    not silently widen a channel's feed.
    """
    text = text[:MAX_TEXT_CHARS]
    if include and include.strip():
        pattern = _compile(include.strip())
        if pattern is None:
            log.warning("invalid include filter %r: nothing passes", include)
            return False
        if not pattern.search(text):
            return False
    if exclude and exclude.strip():
        pattern = _compile(exclude.strip())
        if pattern is None:
            log.warning("invalid exclude filter %r ignored", exclude)
        elif pattern.search(text):
            return False
    return True
