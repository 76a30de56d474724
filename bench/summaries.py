"""Benchmark for the summaries package: ROUGE, quote extraction and speed.

    python -m bench.summaries /work/shared/datasets [--only rouge,bbc,quotes,speed] [--bbc-limit N]
        [--splits dev] [--quick]

Lead-3 is the first three sentences of the *cleaned* body as split by our splitter, i.e. the same byline /
dateline / caption-line stripping our default gets, so Lead-3 is not handicapped.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from summaries import ALGORITHMS, extract_quotes, summarize
from summaries.algorithms import sumy_rank
from summaries.pipeline import MAX_BULLETS, body_sentences

METRICS = ("rouge1", "rouge2", "rougeLsum")
SPLITS = ("dev", "test")


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def lead(text: str, n: int) -> list[str]:
    return [s for para in body_sentences(text) for s in para][:n]


def rouge_table(rows: list[dict], systems: list[str], count_of) -> dict[str, dict[str, float]]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    out: dict[str, dict[str, float]] = {}
    for system in systems:
        sums = dict.fromkeys(METRICS, 0.0)
        for row in rows:
            n = count_of(row)
            picked = lead(row["text"], n) if system == "lead" else list(
                summarize(row["text"], bullets=n, algorithm=system).bullets)
            scores = scorer.score("\n".join(row["summary_sentences"]), "\n".join(picked))
            for m in METRICS:
                sums[m] += scores[m].fmeasure
        out[system] = {m: 100 * v / len(rows) for m, v in sums.items()}
    return out


def print_side_by_side(title: str, tables: dict[str, dict[str, dict[str, float]]]) -> None:
    splits = list(tables)
    print(f"\n## {title}")
    head = " | ".join(f"{s} R1/R2/RLsum" for s in splits)
    print(f"| system | {head} |")
    print("|---|" + "---|" * len(splits))
    for system in tables[splits[0]]:
        cells = " | ".join("/".join(f"{tables[s][system][m]:.2f}" for m in METRICS) for s in splits)
        print(f"| {'lead-3' if system == 'lead' else system} | {cells} |")


def bench_rouge(root: Path, splits: tuple[str, ...] = SPLITS, quick: bool = False) -> None:
    systems = ["default", "lead"] if quick else ["default", "lead", *[a for a in ALGORITHMS if a != "default"]]
    tables = {split: rouge_table(load(root / f"cnndm250.{split}.jsonl"), systems, lambda r: 3)
              for split in splits}
    print_side_by_side("CNN/DM (cnndm250), 3 bullets, ROUGE F1", tables)


def bench_bbc(root: Path, limit: int, splits: tuple[str, ...] = SPLITS, quick: bool = False) -> None:
    systems = ["default", "lead"] if quick else ["default", "lead", "lexrank", "textrank"]
    tables = {}
    for split in splits:
        rows = load(root / f"bbc.{split}.jsonl")
        if limit:
            rows = rows[::max(1, len(rows) // limit)][:limit]
        # A handful of long BBC articles have more reference sentences than summarize() allows.
        tables[split] = rouge_table(rows, systems, lambda r: min(len(r["summary_sentences"]), MAX_BULLETS))
    note = f"subsample of {limit} per split (every k-th row)" if limit else "all rows"
    note += f", bullets capped at {MAX_BULLETS}"
    print_side_by_side(f"BBC, bullets = reference sentence count, {note}", tables)


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


HELDOUT = Path(__file__).resolve().parent / "data" / "quotes_heldout.jsonl"


def score_quotes(cases: list[tuple[str, str, list[dict]]]) -> dict[str, float]:
    """cases: (text, language, gold quotes). Text match ignoring punctuation; speaker right when the gold
    speaker's last word is one of the predicted speaker's words (None must match None)."""
    tp = fp = fn = right = 0
    for text, language, gold_quotes in cases:
        pred = {_norm(q.text): q for q in extract_quotes(text, language)}
        gold = {_norm(q["text"]): q for q in gold_quotes}
        for key, q in pred.items():
            if key not in gold:
                fp += 1
                continue
            tp += 1
            want = gold[key]["speaker"]
            if want is None:
                right += q.speaker is None
            elif q.speaker:
                right += _norm(want).split()[-1] in _norm(q.speaker).split()
        fn += sum(1 for key in gold if key not in pred)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"n": tp + fn, "p": p, "r": r, "f1": 2 * p * r / max(1e-9, p + r), "spk": right / max(1, tp)}


def _print_quote_row(name: str, m: dict[str, float]) -> None:
    print(f"| {name} | {m['n']:.0f} | {m['p']:.3f} | {m['r']:.3f} | {m['f1']:.3f} | {m['spk']:.3f} |")


def bench_quotes(root: Path, heldout: bool = True) -> None:
    bbc = {r["id"]: r for r in load(root / "bbc.dev.jsonl")}
    dev = [(bbc[g["id"]]["text"], "english", g["quotes"]) for g in load(root / "quotes.dev.jsonl")]
    held = load(HELDOUT) if heldout else []
    print("\n## Quotes (text match ignoring punctuation; speaker by surname)")
    print("| set | gold quotes | precision | recall | F1 | speaker accuracy |")
    print("|---|---|---|---|---|---|")
    _print_quote_row("quotes.dev (BBC, english)", score_quotes(dev))
    if held:
        _print_quote_row("held-out, all", score_quotes([(h["text"], h["lang"], h["quotes"]) for h in held]))
    for lang in sorted({h["lang"] for h in held}):
        rows = [(h["text"], h["lang"], h["quotes"]) for h in held if h["lang"] == lang]
        _print_quote_row(f"held-out, {lang}", score_quotes(rows))


def bench_speed(root: Path) -> None:
    rows = load(root / "cnndm250.dev.jsonl") + load(root / "cnndm250.test.jsonl")
    for row in rows[:5]:
        summarize(row["text"])  # warm caches
    ours, lex = [], []
    for row in rows:
        t0 = time.perf_counter()
        summarize(row["text"])
        ours.append(time.perf_counter() - t0)
        paragraphs = body_sentences(row["text"])
        t0 = time.perf_counter()
        sumy_rank("lexrank", paragraphs, 3, "english")
        lex.append(time.perf_counter() - t0)
    big = (" ".join(r["text"] for r in rows) * 2)[:500_000]
    t0 = time.perf_counter()
    summarize(big)
    t_big = time.perf_counter() - t0
    print("\n## Speed (one process, one core)")
    print(f"default summarize() median {1000 * statistics.median(ours):.2f} ms/article "
          f"(p90 {1000 * sorted(ours)[int(0.9 * len(ours))]:.2f}); sumy LexRank alone median "
          f"{1000 * statistics.median(lex):.2f} ms; "
          f"ratio {statistics.median(ours) / statistics.median(lex):.2f}")
    print(f"500k-char input: {t_big:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="?", default="../shared/datasets", type=Path)
    parser.add_argument("--only", default="rouge,bbc,quotes,speed")
    parser.add_argument("--bbc-limit", type=int, default=200, help="rows per BBC split; 0 = all")
    parser.add_argument("--splits", default="dev,test", help="comma list of splits, e.g. dev for tuning runs")
    parser.add_argument("--quick", action="store_true", help="ROUGE for default and lead-3 only")
    parser.add_argument("--no-heldout", action="store_true", help="tuning runs: leave the held-out quotes out")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    splits = tuple(s for s in args.splits.split(",") if s in SPLITS) or SPLITS
    if "rouge" in sections:
        bench_rouge(args.datasets, splits, args.quick)
    if "bbc" in sections:
        bench_bbc(args.datasets, args.bbc_limit, splits, args.quick)
    if "quotes" in sections:
        bench_quotes(args.datasets, heldout=not args.no_heldout)
    if "speed" in sections:
        bench_speed(args.datasets)


if __name__ == "__main__":
    main()
