"""extract_article on pages served by NewsSite and on awkward hand-made pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import NetSettings
from bot.fetch.extract import decode_html, extract_article
from bot.fetch.net import Fetcher
from tests.newsite import NewsSite

STORY = (
    "The finance minister resigned on Tuesday after a bitter row over the budget, officials said.\n\n"
    "\"We could not agree on the spending plans, and I will not defend numbers I do not believe in,\" "
    "she told reporters outside parliament in the late afternoon.\n\n"
    "The prime minister thanked her for her service and said a successor would be named within days. "
    "Opposition leaders called for an early election and accused the government of losing control.\n\n"
    "Markets were calm, with the currency little changed against the dollar by the close of trading."
)


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    async with NewsSite() as s:
        yield s


async def test_article_page_text_and_metadata(site: NewsSite) -> None:
    when = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    url = site.add_article(
        "resign", "Minister resigns over budget row", STORY, published=when, author="Jane Doe"
    )
    async with Fetcher(NetSettings(allow_private_addresses=True)) as f:
        resp = await f.fetch(url)
    page = extract_article(resp.body, url=resp.url, charset=resp.charset)
    assert page is not None
    assert page.text.startswith("The finance minister resigned on Tuesday")
    assert "\u201c" not in page.text and '"We could not agree' in page.text
    assert "All rights reserved" not in page.text and "Home" not in page.text.split("\n")[0]
    assert page.title == "Minister resigns over budget row" and page.author == "Jane Doe"
    assert page.published == when and page.site_name == "Loopback News" and page.language == "en"
    assert page.image_url == site.url("/images/resign.jpg") and page.canonical_url == url


def test_latin1_page_decoded_from_meta_or_header() -> None:
    body = STORY.replace("minister", "ministre à Zürich")
    html = (
        '<html lang="fr"><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "<title>Démission</title></head><body><article><h1>Démission</h1>"
        + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</article></body></html>"
    ).encode("latin-1")
    page = extract_article(html, url="https://fr.test/a")
    assert page is not None and "ministre à Zürich" in page.text and page.language == "fr"
    assert decode_html("café".encode("latin-1"), "iso-8859-1") == "café"
    assert decode_html("café".encode("latin-1")) == "café"  # not UTF-8: windows-1252 fallback
    assert decode_html("café".encode(), "no-such-charset") == "café"


def test_nothing_usable_returns_none() -> None:
    assert extract_article(b"", url="https://x.test/") is None
    assert extract_article("<html><body><nav>Home</nav></body></html>", url="https://x.test/") is None


def test_input_is_bounded() -> None:
    padding = "<p>" + "filler words " * 50 + "</p>"
    late = "<p>Late paragraph marker text.</p>"
    html = "<html><body><article>" + padding * 20 + late + "</article></body></html>"
    page = extract_article(html, url="https://x.test/", max_bytes=len(html) // 2)
    assert page is not None and "Late paragraph marker" not in page.text


def test_page_cut_at_the_cap_mid_character_keeps_its_charset() -> None:
    # Cutting a UTF-8 page inside a two-byte letter failed both strict decodes, and the whole page
    # came out as windows-1252 mojibake ("Ð¼Ñ...").
    para = "<p>" + "Мэр города объявил в понедельник о новых рабочих местах на заводе. " * 6 + "</p>"
    page = ('<html lang="ru"><head><meta charset="utf-8"><title>Завод</title></head><body><article>'
            + para * 40 + "</article></body></html>").encode()
    cut = next(i for i in range(20_000, 20_010) if page[i] & 0xC0 == 0x80)  # inside a letter
    for charset in ("utf-8", None):
        result = extract_article(page, url="https://ru.test/a", charset=charset, max_bytes=cut)
        assert result is not None and "Мэр города" in result.text and "Ð" not in result.text
    assert decode_html(page[:cut], "utf-8", truncated=True) == page[:cut - 1].decode()
