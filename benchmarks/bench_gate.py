"""Benchmark 7: what a whole default gate costs, suite by suite, and how soon it decides, sequential vs fixed n.

Each candidate is gated cold (a fresh process and results database, so no generation is cached) by the default
`pytest suites/ --candidate C --baseline B` in each mode: ``sequential`` (the default: sequential monitoring, and
the gate stops once a required rule fails), ``every-suite`` (sequential, ``--no-reject-early``) and ``fixed``
(``--no-sequential``). Printed per run: the decision, the wall time, the items evaluated (distinct suite items
with a candidate output, less the contamination suite's text-overlap rows and the latency suite's 4 timed requests,
which every mode runs alike) against fixed n, each suite's time (``suite_outcomes.duration_s``) and, for the rules the
sequential suites judge, the items used out of those available and why they stopped.

Candidates (``--model``):

- ``toy``: pass the demo's (``tunegate demo --keep DIR``, then ``--candidates DIR/candidates/*``); the baseline is
  the shipped base;
- ``smollm2``: SmolLM2-135M-Instruct (``cached_import("smollm2")``) and two LoRA candidates trained here on the
  demo's coding task and safety pairs (rank 16, every linear layer, ``--steps`` optimizer steps of 8 rows):
  ``sensible`` at lr 1e-3 cosine, ``broken`` at lr 5e-2 constant (a run past the edge).

    PYTHONPATH=. python benchmarks/bench_gate.py --model smollm2 [--steps 40] [--modes sequential,every-suite,fixed]
    PYTHONPATH=. python benchmarks/bench_gate.py --model toy --candidates DIR/candidates/*
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import print_table, timed
from workload import REPO


def train_candidates(root: Path, base: Path, steps: int) -> list[Path]:
    """Two LoRA candidates of SmolLM2 on the demo's coding rows and safety pairs: a sensible one and a broken one."""
    from harness.demo.data import safety_rows, training_rows
    from harness.jsonl import write_jsonl
    from trainers import TrainConfig, train

    rows = training_rows() + safety_rows()
    data = root / "train.jsonl"
    write_jsonl(data, rows)
    epochs = steps * 8 / (0.9 * len(rows))  # a tenth of the rows is held out for validation
    common = {"method": "lora", "r": 16, "target_modules": "all-linear", "batch_size": 8, "packing": False,
              "max_length": 128, "epochs": epochs, "early_stopping_patience": None, "quiet": True, "seed": 0}
    recipes = {"sensible": {"learning_rate": 1e-3}, "broken": {"learning_rate": 5e-2, "lr_scheduler": "constant",
                                                                "warmup_ratio": 0.0}}
    out = []
    for name, settings in recipes.items():
        seconds, path = timed(lambda n=name, s=settings: train(TrainConfig(
            base=str(base), train=str(data), out=str(root / n), **common, **s)))
        print(f"trained {name} in {seconds:.0f}s -> {path}", flush=True)
        out.append(Path(path))
    return out


MODES = {"sequential": [], "every-suite": ["--no-reject-early"], "fixed": ["--no-sequential"]}


def gate(candidate: Path, base: Path, db: Path, mode: str, threads: int) -> float:
    """Wall seconds of one cold gate run (pytest exit 0 or 1: PROMOTE or REJECT)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS=str(threads), PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "pytest", "suites/", "--candidate", str(candidate), "--baseline", str(base),
           "--results-db", str(db), "-q", "-p", "no:cacheprovider", *MODES[mode]]
    seconds, done = timed(lambda: subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False))
    if done.returncode not in (0, 1):
        raise SystemExit(f"gate failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


def stored(db: Path) -> tuple[str, int, dict[str, float], list[tuple[str, str, int | None, int | None, str | None]]]:
    """(decision, items evaluated, seconds per suite, (rule, status, items used, items available, stop reason) per
    rule)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    (run_id, decision), = con.execute("SELECT run_id, decision FROM latest_decisions").fetchall()
    suites = dict(con.execute("SELECT suite, sum(duration_s) FROM suite_outcomes WHERE run_id = ? GROUP BY suite",
                              [run_id]).fetchall())
    [(evaluated,)] = con.execute("SELECT count(DISTINCT (suite, example_id)) FROM samples WHERE run_id = ? AND "
                                 "role = 'candidate' AND suite NOT IN ('contamination', 'latency')", [run_id]).fetchall()
    rules = con.execute("SELECT rule, status, items_used, n, stop_reason FROM rule_verdicts WHERE run_id = ? "
                        "ORDER BY rule", [run_id]).fetchall()
    con.close()
    return decision, evaluated, suites, rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("toy", "smollm2"), default="smollm2")
    parser.add_argument("--candidates", nargs="*", type=Path, default=[])
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per trained SmolLM2 candidate")
    parser.add_argument("--modes", default="sequential,every-suite,fixed")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from harness.demo.run import locate_base
    from harness.engine import cached_import

    base = cached_import("smollm2") if args.model == "smollm2" else locate_base()
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        candidates = args.candidates or (train_candidates(root, base, args.steps) if args.model == "smollm2" else [])
        if not candidates:
            raise SystemExit("--model toy needs --candidates (tunegate demo --keep DIR; DIR/candidates/*)")
        suites: dict[str, dict[str, float]] = {}
        summary, items = [], []
        for candidate in candidates:
            verdicts, evaluated = {}, {}
            for mode in modes:
                label = f"{candidate.name[:12]} {mode}"
                db = root / f"{candidate.name}-{mode}.duckdb"
                seconds = gate(candidate, base, db, mode, args.threads)
                decision, evaluated[mode], suites[label], verdicts[mode] = stored(db)
                summary.append([label, decision, seconds, evaluated[mode]])
                print(f"{label}: {decision} in {seconds:.0f}s, {evaluated[mode]} items", flush=True)
            for row in summary[-len(modes):]:
                row.append(f"{row[3] / evaluated['fixed']:.0%}" if evaluated.get("fixed") else "")
            available = {rule: n for rule, _, _, n, _ in verdicts.get("fixed", [])}  # fixed n evaluates every item
            for rule, status, used, n, why in verdicts.get("sequential", []):
                total = available.get(rule) or n
                if used is not None and total and ("decided" in (why or "") or used < total):
                    items.append([candidate.name[:12], rule[:48], status, f"{used}/{total}", f"{used / total:.0%}",
                                  why or ""])
        names = sorted({s for per in suites.values() for s in per})
        print_table(f"cold default gate, {args.model}: decision and wall seconds (pytest process, load included)",
                    ["candidate mode", "decision", "wall s", "items", "of fixed n"], summary)
        print_table("seconds per suite (suite_outcomes.duration_s)", ["candidate mode", *names, "suites total"],
                    [[label, *[per.get(s, math.nan) for s in names], sum(per.values())]
                     for label, per in suites.items()])
        print_table("items used per rule decided sequentially (of the items fixed n evaluates)",
                    ["candidate", "rule", "status", "items", "share", "stopped"], items)


if __name__ == "__main__":
    main()
