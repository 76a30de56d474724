"""Per-subscription include/exclude filters: which stories a channel wants.

Syntax: comma-separated keywords (case-insensitive, whole words: "ai" does not match "said"), or one
`/regex/` (optionally `/regex/i`; regexes are always case-insensitive). Filters are typed by guild members,
so a regex is treated as hostile: its length is capped, nested quantifiers such as `(a+)+` are refused, and
the text it runs on is capped. Refusing patterns cannot catch every exponential or high-polynomial one
(`(a|aa)+$`, `(.*a){10}b`, `.*.*.*x` ...), so a pattern is also run at validation against worst-case
probes built from its own characters (`/(.*?,){10}P/` meets a long run of commas) and refused when it is
slow on any of them; and matching itself is bounded: patterns run on the `regex` engine (re-compatible
V0 syntax) with a time limit, and a filter that hits it later counts as invalid for that story (include:
not posted; exclude: ignored), which `check` reports so the guild is told.

Everything here is CPU work on user-supplied patterns: callers run it in a worker thread (the store does,
before its write transaction), never on the event loop, and matching releases the GIL (`concurrent`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import regex

log = logging.getLogger(__name__)

MAX_PATTERN_CHARS = 200
MAX_KEYWORDS = 50
MAX_TEXT_CHARS = 4000  # title + bullets fit comfortably; the full article text is never matched
MATCH_TIMEOUT = 0.05  # seconds one filter may spend on one story's text
PROBE_TIMEOUT = 0.02  # seconds per probe text at validation
_FLAGS = regex.IGNORECASE | regex.VERSION0

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
        try:
            pattern = regex.compile(body, _FLAGS)
        except (regex.error, ValueError, OverflowError) as exc:
            return f"the regex is not valid: {exc}"
        if not _fast_on_probes(pattern, body):
            return ("the regex takes too long on some text (overlapping alternatives or repeated wildcards, "
                    "like (a|aa)+ or .*.*); make it more specific")
        return None
    keywords = _keywords(expr)
    if not keywords:
        return "give at least one keyword (comma-separated), or a /regex/"
    if len(keywords) > MAX_KEYWORDS:
        return f"{len(keywords)} keywords is too many; the limit is {MAX_KEYWORDS}"
    if len(expr) > MAX_PATTERN_CHARS * 5:
        return f"the keyword list is too long; the limit is {MAX_PATTERN_CHARS * 5} characters"
    return None


def _literals(items: Any, out: list[str]) -> None:
    """Every literal character a pattern can match, in order of appearance (the probes' alphabet)."""
    for op, av in items:
        if op is sre_parse.LITERAL:
            out.append(chr(av))
        elif op is sre_parse.IN:
            for sub_op, sub_av in av:
                if sub_op is sre_parse.LITERAL:
                    out.append(chr(sub_av))
                elif sub_op is sre_parse.RANGE:
                    out.append(chr(sub_av[0]))
        elif op in _REPEATS:
            _literals(av[2], out)
        else:
            for sub in _children(op, av):
                _literals(sub, out)


def _probe_texts(body: str) -> list[str]:
    """Texts that make backtracking patterns blow up: long runs of each of the pattern's own characters
    (punctuation too: `(.*?,){10}P` explodes on commas), of them all interleaved, and of word characters
    with separators, each ending in something that fails the match."""
    found: list[str] = []
    try:
        _literals(list(sre_parse.parse(body, re.IGNORECASE)), found)
    except (re.error, RecursionError):
        pass
    found += [c for c in body.casefold() if c.isalnum()]
    chars = list(dict.fromkeys(c.casefold() for c in found if c.isprintable()))[:8] or ["a"]
    texts = [c * 2000 + "\x00" for c in chars]
    texts.append("".join(chars) * (2000 // len(chars)) + "\x00")
    texts += [(c + "a") * 1000 + "\x00" for c in chars if not c.isalnum()][:3]
    texts.append("a1 " * 700 + "\x00")
    texts.append("a, " * 700 + "\x00")
    return texts


def _fast_on_probes(pattern: regex.Pattern[str], body: str) -> bool:
    for text in _probe_texts(body):
        try:
            pattern.search(text, timeout=PROBE_TIMEOUT, concurrent=True)
        except TimeoutError:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _compile(expr: str) -> regex.Pattern[str] | None:
    """The pattern for a filter; None when it is invalid (a filter stored before the rules tightened)."""
    if validate_filter(expr) is not None:
        return None
    if _is_regex(expr):
        return regex.compile(_regex_body(expr), _FLAGS)
    words = [r"\s+".join(regex.escape(part) for part in k.split()) for k in _keywords(expr)]
    return regex.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", _FLAGS)


def _search(pattern: regex.Pattern[str], expr: str, text: str) -> bool | None:
    """Whether the pattern occurs in the text; None when it ran out of time."""
    try:
        return pattern.search(text, timeout=MATCH_TIMEOUT, concurrent=True) is not None
    except TimeoutError:
        log.warning("filter %r took longer than %ss on one story; treated as invalid for it", expr[:80],
                    MATCH_TIMEOUT)
        return None


TIMED_OUT = "took too long"
REFUSED = "is no longer accepted (it can take too long on some text)"


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    failed_filter: str | None = None  # a filter that could not decide (timed out, or stored but now refused)
    problem: str | None = None  # what went wrong with it, for the guild's log channel


def check(include: str | None, exclude: str | None, text: str) -> Verdict:
    """Whether a story with this text passes a subscription's filters, and which filter (if any) could not
    decide it.

    An empty include lets everything in; an exclude that matches keeps the story out. An invalid include
    lets nothing in and an invalid exclude keeps nothing out; both are reported like a timeout: a broken
    filter should be noticed, not silently widen or empty a channel's feed.
    """
    text = text[:MAX_TEXT_CHARS]
    if include and include.strip():
        pattern = _compile(include.strip())
        if pattern is None:
            log.warning("invalid include filter %r: nothing passes", include)
            return Verdict(False, include, REFUSED)
        found = _search(pattern, include, text)
        if found is None:
            return Verdict(False, include, TIMED_OUT)
        if not found:
            return Verdict(False)
    if exclude and exclude.strip():
        pattern = _compile(exclude.strip())
        if pattern is None:
            log.warning("invalid exclude filter %r ignored", exclude)
            return Verdict(True, exclude, REFUSED)
        found = _search(pattern, exclude, text)
        if found is None:  # ignored, like an invalid exclude, and reported
            return Verdict(True, exclude, TIMED_OUT)
        if found:
            return Verdict(False)
    return Verdict(True)


def matches(include: str | None, exclude: str | None, text: str) -> bool:
    """`check` without the report."""
    return check(include, exclude, text).passed


def check_all(filters: Iterable[tuple[str | None, str | None]], text: str) -> list[Verdict]:
    """One verdict per (include, exclude) pair; the batch a worker thread runs for one story."""
    return [check(include, exclude, text) for include, exclude in filters]
