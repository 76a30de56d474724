"""Hostile bodies served by tests/newsite.py, kept apart so the server module stays readable."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

BOMB_INFLATED_BYTES = 120 * 1024 * 1024
_cache: dict[str, bytes] = {}


def gzip_bomb() -> bytes:
    """A gzip stream of a few hundred KB that inflates to 120 MB of zeros (built once)."""
    if "bomb" not in _cache:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = bytes(1024 * 1024)
        parts = [comp.compress(zeros) for _ in range(BOMB_INFLATED_BYTES // len(zeros))]
        parts.append(comp.flush())
        _cache["bomb"] = b"".join(parts)
    return _cache["bomb"]


def many_entries_rss(n: int = 10_000) -> bytes:
    """RSS with `n` items, oldest first, one minute apart (built once per n)."""
    key = f"many{n}"
    if key not in _cache:
        base = datetime(2024, 1, 1, tzinfo=UTC)
        items = [
            f"<item><title>Entry {i}</title><link>http://example.test/e/{i}</link><guid>e-{i}</guid>"
            f"<pubDate>{format_datetime(base + timedelta(minutes=i), usegmt=True)}</pubDate>"
            f"<description>Body {i}</description></item>"
            for i in range(n)
        ]
        _cache[key] = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Many</title>'
            "<link>http://example.test/</link>" + "".join(items) + "</channel></rss>"
        ).encode()
    return _cache[key]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><link>http://example.test/lol</link><guid>lol</guid></item>
</channel></rss>
"""

MALFORMED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</titl <<<>>> &&& </rss'

BOZO_WITH_ENTRIES = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sloppy & Co</title><link>http://example.test/</link>
<item><title>Fish & chips</title><link>http://example.test/fish</link><guid>fish</guid></item>
</channel></rss>"""

NON_UTF8 = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Café Zürich</title>'
    "<link>http://example.test/</link><item><title>Crème brûlée à la française</title>"
    "<link>http://example.test/creme</link><guid>creme</guid><description>Déjà vu</description></item>"
    "</channel></rss>"
).encode("latin-1")
