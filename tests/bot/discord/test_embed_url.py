"""bot.discord.embed_url: URLs Discord would refuse in an embed are caught before they are sent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord.embed_url import well_formed_url
from bot.discord.render import safe_url
from tests.fake_discord.validation import well_formed_url as fake_discord_accepts


@pytest.mark.parametrize("url", [
    "https://[::1", "https://%", "https://a..b", "https://a..b/path", "https://%41.example/", "https://[zz]/",
    "https://.example.com/", "https://example.com./", "https://-bad.example/", "https://a.com:99999/",
    "https://a.com:port/", "https://user:pw@a.com/", "javascript:alert(1)", "https://", "https:///x",
    "https://a b.com/", "https://" + "a" * 64 + ".com/", "https://x.com/" + "p" * 2100,
])
def test_refused(url: str) -> None:
    assert not well_formed_url(url) and safe_url(url) is None


@pytest.mark.parametrize("url", [
    "https://news.example/2024/05/story?id=1&x=%20y#top", "http://127.0.0.1:8080/feed.xml", "https://[::1]/x",
    "https://bücher.example/", "https://xn--bcher-kva.example/", "https://a_b.example.com/", "https://x/",
    "HTTPS://EXAMPLE.COM/A",
])
def test_accepted(url: str) -> None:
    assert well_formed_url(url) and safe_url(url) == url


_HOSTISH = st.text(st.sampled_from("ab9-_.%[]:@ü"), min_size=0, max_size=12)


@settings(max_examples=500, deadline=None)
@given(host=_HOSTISH, path=st.sampled_from(["", "/", "/p?q=1"]))
def test_whatever_the_bot_accepts_the_fake_discord_accepts(host: str, path: str) -> None:
    url = f"https://{host}{path}"
    if well_formed_url(url):
        assert fake_discord_accepts(url), url
