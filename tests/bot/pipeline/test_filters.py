"""Include/exclude filters: keyword and regex syntax, and refusal of hostile patterns."""

from __future__ import annotations

import time

import pytest

from bot.pipeline.filters import MAX_PATTERN_CHARS, matches, validate_filter


@pytest.mark.parametrize(("include", "exclude", "text", "expected"), [
    (None, None, "anything", True),
    ("", "  ", "anything", True),
    ("election", None, "The ELECTION results", True),
    ("election", None, "Elections are coming", False),  # whole words only
    ("ai", None, "He said so", False),
    ("ai, climate", None, "New climate report", True),
    ("white house", None, "At the White\n House today", True),  # spaces match any whitespace
    (None, "sport", "Sport: results", False),
    (None, "sport", "Transport news", True),
    ("election", "local", "Local election", False),  # exclude wins
    ("/foot-?ball/", None, "FOOTBALL final", True),  # regexes are case-insensitive
    ("/^breaking/i", None, "Breaking: x", True),
    ("/^breaking/", None, "Not breaking", False),
    ("c++", None, "Learning C++ today", True),  # keywords are literal, not regex
    ("/(a+)+$/", None, "aaaa", False),  # an invalid include lets nothing through
    (None, "/(a+)+$/", "aaaa", True),  # an invalid exclude keeps nothing out
])
def test_matches(include: str | None, exclude: str | None, text: str, expected: bool) -> None:
    assert matches(include, exclude, text) is expected


@pytest.mark.parametrize("expr", ["election", "a, b ,c", "/foo|bar/", "/^x\\d{1,4}$/i", "/(?:ab)+c/",
                                  "/(a|b)*c/", "/[a-z]+ news/", ""])
def test_valid_filters(expr: str) -> None:
    assert validate_filter(expr) is None


@pytest.mark.parametrize(("expr", "message"), [
    ("/(a+)+/", "repeats something that itself repeats"),
    ("/(\\w*)*$/", "repeats something that itself repeats"),
    ("/((ab)*c)+/", "repeats something that itself repeats"),
    ("/(x{1,5})+/", "repeats something that itself repeats"),
    ("/(?=(a+)+)b/", "repeats something that itself repeats"),
    ("/" + "a" * (MAX_PATTERN_CHARS + 1) + "/", "limit is 200"),
    ("/(unclosed/", "not valid"),
    ("//", "empty"),
    ("/(a)\\1/", "back-references"),
    (", ,", "at least one keyword"),
    (",".join(f"k{i}" for i in range(60)), "too many"),
])
def test_invalid_filters(expr: str, message: str) -> None:
    error = validate_filter(expr)
    assert error is not None and message in error


def test_huge_text_is_capped_and_fast() -> None:
    text = "a" * 1_000_000 + " election"
    started = time.perf_counter()
    assert not matches("election", None, text)  # beyond the cap: title + bullets are what counts
    assert matches("/a{3}/", None, text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("expr", ["/(a|a)*$/", "/(a|aa)+$/", "/(.*a){10}b/", "/(\\w|\\d)+$/", "/(.*a){20}/"])
def test_backtracking_regexes_are_refused_quickly(expr: str) -> None:
    """Overlapping alternatives and stacked wildcards backtrack exponentially (or as n**10) without any
    nested quantifier: the static check misses them, the timed probes do not."""
    started = time.perf_counter()
    assert validate_filter(expr) is not None
    assert not matches(expr, None, "a" * 3000 + "!")
    assert time.perf_counter() - started < 2


def test_matching_is_bounded_even_for_a_stored_hostile_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter stored before the rules tightened (or one the probes miss) is cut off by the time limit:
    an include that runs out of time lets nothing in, an exclude that does keeps nothing out."""
    import bot.pipeline.filters as filters

    monkeypatch.setattr(filters, "validate_filter", lambda expr: None)
    filters._compile.cache_clear()
    try:
        text = "a" * 60 + "!"
        started = time.perf_counter()
        assert not matches("/(a|aa)+$/", None, text)
        assert matches(None, "/(a|a)*$/", text)
        assert time.perf_counter() - started < 2
    finally:
        filters._compile.cache_clear()
