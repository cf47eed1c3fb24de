"""Throughput of `tunegate data prepare` per stage on synthetic chat rows (not a timed test).

    python benchmarks/bench_prepare.py [--rows 100000] [--seed 0]

The synthetic set mixes what preparation must handle: ~2% exact duplicates, ~2% near duplicates (one word
edited), ~1% rows with personal data, ~0.5% invalid lines, a few rows leaking eval prompts, and five unequal
categories. Prints rows/s for each stage and the accounting.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainers import PrepareConfig, prepare  # noqa: E402


def synthetic(rows: int, seed: int, root: Path) -> tuple[Path, Path]:
    """Write the training JSONL and a 50-item eval set; return their paths."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    cats = ["billing"] * 5 + ["coding"] * 3 + ["triage"] * 2 + ["refusal", "smalltalk"]
    evals = [{"id": f"e{i}", "prompt": " ".join(rng.choices(vocab, k=25)), "answer": "x"} for i in range(50)]
    lines: list[str] = []
    made: list[dict] = []
    for i in range(rows):
        r = rng.random()
        if r < 0.02 and made:
            row = dict(rng.choice(made))
        elif r < 0.04 and made:
            base = rng.choice(made)
            words = base["messages"][0]["content"].split()
            words[rng.randrange(len(words))] = "edited"
            row = {**base, "messages": [{"role": "user", "content": " ".join(words)}, base["messages"][1]]}
        elif r < 0.045:
            lines.append('{"messages": [{"role": "user", "content": "unterminated"')
            continue
        else:
            cat = rng.choice(cats)
            prompt = " ".join(rng.choices(vocab, k=rng.randint(15, 40)))
            if r < 0.055:
                prompt += f" reach me at user{i}@example.com or +1 415-555-{i % 10000:04d}"
            elif r < 0.0555:
                prompt = "about this: " + evals[i % 50]["prompt"]
            answer = ("I'm sorry, but I can't help with that." if cat == "refusal"
                      else " ".join(rng.choices(vocab, k=rng.randint(8, 30))))
            row = {"category": cat, "messages": [{"role": "user", "content": prompt},
                                                 {"role": "assistant", "content": answer}]}
            made.append(row)
        lines.append(json.dumps(row))
    train = root / "train.jsonl"
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    eval_path = root / "eval.jsonl"
    eval_path.write_text("".join(json.dumps(e) + "\n" for e in evals), encoding="utf-8")
    return train, eval_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        train, evals = synthetic(args.rows, args.seed, root)
        print(f"generated {args.rows} rows in {time.perf_counter() - began:.1f}s ({train.stat().st_size / 1e6:.1f} MB)")
        began = time.perf_counter()
        result = prepare([train], PrepareConfig(out=str(root / "out"), skip_invalid=True, evals=[str(evals)]))
        total = time.perf_counter() - began
    # CPU seconds too: on a shared machine wall time measures the neighbours as much as this code
    print(f"{'stage':<16}{'rows':>10}{'wall s':>9}{'rows/s':>10}{'cpu s':>9}{'rows/cpu-s':>12}")
    cpu_total = 0.0
    for stage, t in result.report["timings"].items():
        cpu_total += t["cpu_seconds"]
        rate = t["rows"] / t["seconds"] if t["seconds"] else float("inf")
        cpu_rate = t["rows"] / t["cpu_seconds"] if t["cpu_seconds"] else float("inf")
        print(f"{stage:<16}{t['rows']:>10}{t['seconds']:>9.2f}{rate:>10.0f}{t['cpu_seconds']:>9.2f}{cpu_rate:>12.0f}")
    print(f"{'total':<16}{args.rows:>10}{total:>9.2f}{args.rows / total:>10.0f}{cpu_total:>9.2f}"
          f"{args.rows / cpu_total:>12.0f}")
    print("accounting:", json.dumps(result.report["accounting"]))
    print("pii:", json.dumps(result.report["pii"]["counts"]))


if __name__ == "__main__":
    main()
