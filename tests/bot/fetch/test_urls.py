"""URL canonicalization: concrete cases plus hypothesis properties (idempotent, never crashes)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fetch.urls import canonicalize, is_http_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/Path/", "http://example.com/Path"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/a?b=2&a=1#frag", "https://example.com:8443/a?a=1&b=2"),
        ("https://news.test/story?utm_source=tw&utm_medium=social&id=5&fbclid=abc&gclid=x",
         "https://news.test/story?id=5"),
        ("https://news.test/s?mc_cid=1&mc_eid=2&ref=home&ocid=3&cmpid=4&_ga=5&igshid=6&utm_Campaign=7",
         "https://news.test/s"),
        ("https://news.test/2024/01/story/amp/", "https://news.test/2024/01/story"),
        ("https://news.test/amp/2024/01/story", "https://news.test/2024/01/story"),
        ("https://news.test/2024/01/story.amp", "https://news.test/2024/01/story"),
        ("https://news.test/2024/01/story.amp.html", "https://news.test/2024/01/story.html"),
        ("https://amp.news.test/world/story", "https://news.test/world/story"),
        ("https://news.test/story?amp=1", "https://news.test/story"),
        ("https://news.test/story?amp", "https://news.test/story"),
        ("https://news.test/story?outputType=amp&page=2", "https://news.test/story?page=2"),
        ("https://news.test/story?outputType=json", "https://news.test/story?outputType=json"),
        ("https://user:pw@news.test//a//b/", "https://news.test/a/b"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://news.test/a%20b?q=a+b", "https://news.test/a%20b?q=a%20b"),
        ("http://[2001:DB8::1]:8080/x/", "http://[2001:db8::1]:8080/x"),
        ("https://news.test.", "https://news.test/"),
    ],
)
def test_canonical_forms(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected
    assert canonicalize(expected) == expected


def test_same_story_many_spellings_one_canonical() -> None:
    spellings = [
        "https://www.paper.test/world/2024/eu-vote?utm_source=rss",
        "HTTPS://WWW.PAPER.TEST/world/2024/eu-vote/",
        "https://www.paper.test/world/2024/eu-vote/amp/?fbclid=1#comments",
        "https://www.paper.test:443/world/2024/eu-vote.amp",
    ]
    assert len({canonicalize(u) for u in spellings}) == 1


@pytest.mark.parametrize(
    "raw", ["mailto:a@b.test", "not a url", "ftp://x.test/f", "http://[::1/", "", "//x.test/a"]
)
def test_non_http_input_is_returned_unchanged(raw: str) -> None:
    assert canonicalize(raw) == raw.strip()


def test_is_http_url() -> None:
    assert is_http_url("https://x.test/a") and is_http_url(" HTTP://X.TEST ")
    assert not any(map(is_http_url, ["ftp://x.test", "https://", "/relative", "javascript:x", "http://[::1"]))


_seg = st.text(alphabet=st.sampled_from("abcXYZ09-_.~%2F amp"), max_size=8)
_key = st.sampled_from(["id", "page", "q", "utm_source", "fbclid", "amp", "outputType", "ref", "x y", "é"])
_val = st.text(alphabet=st.sampled_from("ab1 &=+%/?éamp"), max_size=6)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(st.sampled_from(["example.com", "EXAMPLE.com", "amp.news.test", "bücher.example", "a.b.c.",
                                 "[::1]", "127.0.0.1", "xn--bcher-kva.example"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/" + "/".join(draw(st.lists(_seg, max_size=5)))
    if draw(st.booleans()):
        path += draw(st.sampled_from([".amp", "/", ".amp.html", "/amp/"]))
    query = "&".join(f"{draw(_key)}={draw(_val)}" for _ in range(draw(st.integers(0, 4))))
    frag = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{frag}"


@settings(max_examples=300, deadline=None)
@given(urls())
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once
    assert once == once.strip() and "#" not in once
    assert is_http_url(once)
    assert "utm_" not in once and "fbclid" not in once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_canonicalize_never_raises_on_junk(text: str) -> None:
    out = canonicalize(text)
    assert canonicalize(out) == out
