"""CPU per article: summarize() and the clustering fingerprint, beside sumy's LexRank and TextRank.

    python -m bench.cpu ../shared/datasets [--repeat 3] [--baseline-rev REV] [--save-outputs FILE] [--check FILE]

Every CNN/DM article of both splits (and every 5th BBC dev article) is summarized; LexRank and TextRank run
on exactly the sentences the default ranks (`body_sentences`), so the comparison is ranking against ranking
plus our cleaning and quotes. Times are per article, the best of `--repeat` runs of the whole set (the
machine is shared; the minimum is the least noisy estimate of the code's own cost), median and p90.

`--baseline-rev` also times the summaries package as it was at a git revision (extracted to a temporary
directory and imported as `summaries_base`), article by article beside today's, so a before/after ratio comes
from one run on the same load.

`--save-outputs` writes every article's bullets and quotes as JSON lines; `--check` compares against such a
file and exits 1 on any difference, so a speed change can prove it changed no output. The digest line is the
SHA-256 of the same outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench.summaries import load
from bot.pipeline.cluster import fingerprint
from summaries import extract_quotes, summarize
from summaries.algorithms import sumy_rank
from summaries.pipeline import body_sentences


def _articles(root: Path) -> list[dict]:
    rows = load(root / "cnndm250.dev.jsonl") + load(root / "cnndm250.test.jsonl")
    bbc = load(root / "bbc.dev.jsonl")[::5]
    return rows + bbc


def _best_times(rows: list[dict], steps: dict[str, Callable[[dict], object]], repeat: int
                ) -> dict[str, list[float]]:
    """Per step and row, the fastest of `repeat` passes; the steps run back to back on each article, so a
    burst of load from the machine's other users hits all of them alike."""
    best = {name: [float("inf")] * len(rows) for name in steps}
    for _ in range(repeat):
        for i, row in enumerate(rows):
            for name, fn in steps.items():
                t0 = time.perf_counter()
                fn(row)
                best[name][i] = min(best[name][i], time.perf_counter() - t0)
    return best


def _ms(times: list[float]) -> str:
    ordered = sorted(times)
    return f"{1000 * statistics.median(ordered):.2f} / {1000 * ordered[int(0.9 * len(ordered))]:.2f}"


def outputs(root: Path, package: ModuleType | None = None) -> list[dict]:
    """Everything a speed change must leave alone: bullets, quotes and speakers of every dev/test article."""
    summarize_fn = package.summarize if package else summarize
    extract_fn = package.extract_quotes if package else extract_quotes
    out = []
    for row in _articles(root):
        s = summarize_fn(row["text"], title=row.get("title") or None)
        out.append({"id": row["id"], "bullets": list(s.bullets),
                    "quotes": [[q.text, q.speaker, q.paragraph, q.attribution] for q in s.quotes]})
    bbc = {r["id"]: r for r in load(root / "bbc.dev.jsonl")}
    for gold in load(root / "quotes.dev.jsonl"):
        quotes = extract_fn(bbc[gold["id"]]["text"])
        out.append({"id": "quotes/" + gold["id"], "quotes": [[q.text, q.speaker] for q in quotes]})
    return out


def baseline_package(rev: str, into: Path) -> ModuleType:
    """The summaries package at `rev`, importable as `summaries_base` (its imports are relative)."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "summaries"], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "summaries").rename(into / "summaries_base")
    sys.path.insert(0, str(into))
    return importlib.import_module("summaries_base")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="?", default="../shared/datasets", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-rev", help="git revision whose summaries package is timed alongside")
    parser.add_argument("--save-outputs", type=Path)
    parser.add_argument("--check", type=Path)
    args = parser.parse_args()
    rows = _articles(args.datasets)
    for row in rows[:5]:
        summarize(row["text"])  # warm: stemmer, stop words, lazy imports
        sumy_rank("lexrank", body_sentences(row["text"]), 3, "english")
        sumy_rank("textrank", body_sentences(row["text"]), 3, "english")
        fingerprint(row.get("title", ""), row["text"])
    sentences = {row["id"]: body_sentences(row["text"]) for row in rows}
    steps: dict[str, Callable[[dict], object]] = {
        "ours": lambda r: summarize(r["text"], title=r.get("title") or None),
        "lexrank": lambda r: sumy_rank("lexrank", sentences[r["id"]], 3, "english"),
        "textrank": lambda r: sumy_rank("textrank", sentences[r["id"]], 3, "english"),
        "fingerprint": lambda r: fingerprint(r.get("title", ""), r["text"]),
    }
    tmp = tempfile.TemporaryDirectory()
    package = baseline_package(args.baseline_rev, Path(tmp.name)) if args.baseline_rev else None
    if package is not None:
        base_summarize = package.summarize
        for row in rows[:5]:
            base_summarize(row["text"])
        steps["base"] = lambda r: base_summarize(r["text"], title=r.get("title") or None)
    times = _best_times(rows, steps, args.repeat)
    ours, lexrank, textrank, fp = times["ours"], times["lexrank"], times["textrank"], times["fingerprint"]
    print(f"## CPU per article ({len(rows)} articles: cnndm250 dev+test, every 5th bbc.dev; "
          f"best of {args.repeat}; median / p90 ms)")
    print("| step | median / p90 ms | ratio of medians to newsbot summarize() |")
    print("|---|---|---|")
    base = statistics.median(ours)
    rows_out = [("newsbot summarize() (clean, split, rank, quotes)", ours)]
    if "base" in times:
        rows_out.append((f"newsbot summarize() at {args.baseline_rev}", times["base"]))
    for label, step_times in (*rows_out,
                         ("sumy LexRank alone, same sentences", lexrank),
                         ("sumy TextRank alone, same sentences", textrank),
                         ("clustering fingerprint (bot.pipeline.cluster)", fp)):
        print(f"| {label} | {_ms(step_times)} | {statistics.median(step_times) / base:.2f} |")
    result = outputs(args.datasets)
    if package is not None:
        old = outputs(args.datasets, package)
        same_bullets = sum(a.get("bullets") == b.get("bullets") for a, b in zip(result, old, strict=True))
        same_quotes = sum(a["quotes"] == b["quotes"] for a, b in zip(result, old, strict=True))
        print(f"against {args.baseline_rev}: bullets identical on {same_bullets} of {len(result)} articles, "
              f"quotes and speakers identical on {same_quotes} of {len(result)}")
    blob = "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in result) + "\n"
    print(f"outputs digest (bullets + quotes of {len(result)} articles): "
          f"{hashlib.sha256(blob.encode()).hexdigest()[:16]}")
    if args.save_outputs:
        args.save_outputs.write_text(blob, encoding="utf-8")
    if args.check:
        want = args.check.read_text(encoding="utf-8").splitlines()
        got = blob.splitlines()
        diff = [i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b]
        if diff or len(want) != len(got):
            print(f"outputs differ from {args.check} on {len(diff)} articles (first: {diff[:5]})")
            sys.exit(1)
        print(f"outputs identical to {args.check}")


if __name__ == "__main__":
    main()
