"""Worst-case parse and extract time over the hostile corpus, beside normal inputs as the baseline.

Every case of tests/hostile/corpus.py that has a body is parsed (feeds, with bot.fetch.feeds.parse_feed)
(with each entry's content turned into text, as ingest does) or extracted (pages, with
bot.fetch.extract.extract_article) in this process, as the worker threads do,
at the caps the code enforces. Each input runs --repeat times; its time is the median. The baseline is a
normal article page and a normal 50-entry feed (built from --dataset articles when given, e.g.
/work/shared/datasets/bbc.dev.jsonl; else from a built-in story).

    python bench/hostile.py [--repeat 3] [--dataset PATH] [--budget-ms 100]
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fetch.extract import extract_article
from bot.fetch.feeds import FeedError, parse_feed
from bot.fetch.htmltext import html_to_text
from tests.hostile.corpus import CASES, STORY, Case

BASE = "http://bench.example"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, str]:
    times = []
    outcome = ""
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            result = fn()
            outcome = "ok" if result is not None else "none"
        except FeedError as exc:
            outcome = f"refused: {exc.reason[:40]}"
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, outcome


def run_case(case: Case) -> Callable[[], object]:
    assert case.body is not None
    body = case.body(BASE)
    if case.kind == "page":
        return lambda: extract_article(body, url=f"{BASE}/p/{case.name}", charset="utf-8")

    def parse_and_text() -> object:
        # What ingest's worker threads do with a feed body: parse it, then turn each entry's content to text.
        feed = parse_feed(body, url=f"{BASE}/c/{case.name}", content_type=case.content_type, max_entries=500)
        for entry in feed.entries:
            html_to_text(entry.content)
        return feed

    return parse_and_text


def normal_texts(dataset: str | None) -> list[tuple[str, str]]:
    if not dataset:
        return [("Flood barrier approved", STORY)]
    texts = []
    with open(dataset, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append((row.get("title") or "Untitled", row["text"]))
            if len(texts) == 20:
                break
    return texts


def normal_page(title: str, text: str) -> bytes:
    e = html.escape
    paras = "".join(f"<p>{e(p)}</p>" for p in text.split("\n\n") if p.strip())
    nav = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(40))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)} | News</title>"
            f"<link rel='canonical' href='{BASE}/a/1'><meta property='og:title' content='{e(title)}'>"
            f"<script>var x = {{}};</script><style>p{{margin:0}}</style></head><body><header><nav><ul>{nav}</ul>"
            f"</nav></header><main><article><h1>{e(title)}</h1><p class='byline'>By A Reporter</p>{paras}"
            f"</article></main><footer><p>© News</p></footer></body></html>").encode()


def normal_feed(texts: list[tuple[str, str]]) -> bytes:
    e = html.escape
    items = "".join(
        f"<item><title>{e(t)}</title><link>{BASE}/a/{i}</link><guid>g{i}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><description>{e(x[:600])}</description></item>"
        for i, (t, x) in enumerate((texts * 50)[:50]))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
            f"<link>{BASE}/</link>{items}</channel></rss>").encode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dataset", help="JSON Lines articles for the baseline (title, text)")
    ap.add_argument("--budget-ms", type=float, default=100.0)
    args = ap.parse_args()

    texts = normal_texts(args.dataset)
    extract_article(normal_page(*texts[0]), url=f"{BASE}/a/0")  # warm trafilatura's lazy initialisation
    page_ms = statistics.median(timed(lambda t=t: extract_article(normal_page(*t), url=f"{BASE}/a/1"),
                                      args.repeat)[0] for t in texts)
    feed_body = normal_feed(texts)
    feed_ms, _ = timed(lambda: parse_feed(feed_body, url=f"{BASE}/feed", content_type=None, max_entries=500),
                       args.repeat)
    print(f"baseline  normal article page ({len(texts)} article(s), median): extract {page_ms:8.1f} ms")
    print(f"baseline  normal 50-entry feed ({len(feed_body) // 1000} KB):           parse   {feed_ms:8.1f} ms")
    print()
    rows = []
    for case in CASES:
        if case.body is None or case.route is not None:
            continue
        size = len(case.body(BASE))
        ms, outcome = timed(run_case(case), args.repeat)
        rows.append((ms, case, size, outcome))
    print(f"{'case':48} {'kind':5} {'input':>10} {'ms':>9}  outcome")
    for ms, case, size, outcome in sorted(rows, key=lambda r: -r[0]):
        print(f"{case.name:48} {case.kind:5} {size:>10,} {ms:9.1f}  {outcome}")
    worst_feed = max((r for r in rows if r[1].kind == "feed"), key=lambda r: r[0])
    worst_page = max((r for r in rows if r[1].kind == "page"), key=lambda r: r[0])
    print()
    print(f"worst parse   {worst_feed[0]:8.1f} ms  ({worst_feed[1].name}; baseline feed {feed_ms:.1f} ms)")
    print(f"worst extract {worst_page[0]:8.1f} ms  ({worst_page[1].name}; baseline article {page_ms:.1f} ms)")
    over = [r for r in rows if r[0] > args.budget_ms]
    print(f"inputs over {args.budget_ms:g} ms: {len(over)} of {len(rows)}"
          + (": " + ", ".join(r[1].name for r in over) if over else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
