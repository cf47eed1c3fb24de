"""Benchmark 1: the regression suite under `pytest suites/` vs the `lm_eval` CLI, same tasks, same models.

A gate compares a candidate with its baseline, so one gate run is measured against the two `lm_eval` runs that
produce the same numbers (candidate: base + LoRA adapter through lm-eval's ``peft=``; baseline: the base). The
model is a ~25M-parameter Llama built from a config (random weights, a BPE tokenizer trained on the task texts);
the tasks are the bundled ``tunegate_regression`` group (multiple choice and generate_until; sizes in suites/DATA.md).
Every run is a fresh process on a fresh results database; the gate's generation cache starts empty except in the
"re-run" row, which repeats the gate on the database of its first run. Scores must be identical: per task, the
gate's stored metric against the CLI's results file.

    python benchmarks/bench_regression.py [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median, print_table, timed
from workload import REPO

SUITE = REPO / "suites" / "test_regression.py"
TASKS = REPO / "suites" / "regression"
POLICY = """
[[rules]]
name = "general skills do not regress"
metric = "regression.score"
kind = "non_inferiority"
margin = 0.05
"""


def build_models(root: Path) -> tuple[Path, Path]:
    """(base dir, LoRA adapter dir): a ~25M-parameter Llama with a tokenizer trained on the regression texts."""
    from workload import build_adapter

    from harness.engine import build_tiny_model

    texts = [line for path in sorted(TASKS.glob("*.jsonl")) for line in path.read_text(encoding="utf-8").splitlines()]
    base = build_tiny_model(root / "base", texts, hidden_size=512, layers=8, heads=8, vocab_size=4000)
    return base, build_adapter(base, root / "adapter", seed=1)


def env(threads: int) -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                OMP_NUM_THREADS=str(threads), PYTHONPATH=str(REPO))


def gate(adapter: Path, base: Path, db: Path, policy: Path, threads: int) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", str(SUITE), "--candidate", str(adapter), "--baseline",
                           str(base), "--policy", str(policy), "--results-db", str(db), "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, env=env(threads), capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"gate failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def lm_eval_cli(model_args: str, out: Path, threads: int) -> None:
    done = subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", model_args,
                           "--tasks", "tunegate_regression", "--include_path", str(TASKS), "--device", "cpu",
                           "--batch_size", "16", "--output_path", str(out)],
                          cwd=REPO, env=env(threads), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"lm_eval failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def cli_scores(out: Path) -> dict[str, float]:
    results = json.loads(max(out.rglob("results_*.json")).read_text())["results"]
    return {task: value for task, metrics in results.items() if task.startswith("tg_")
            for key, value in metrics.items() if key.split(",")[0] in ("acc", "exact_match")}


def gate_scores(db: Path, role: str) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT metric, value FROM metrics WHERE suite = 'regression' AND role = ? AND metric LIKE '%.%'",
                       [role]).fetchall()
    con.close()
    return {metric.rsplit(".", 1)[0]: value for metric, value in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="OMP/torch threads of every measured process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["TUNEGATE_FINGERPRINT_CACHE"] = str(root / "fingerprints.json")
        base, adapter = build_models(root)

        policy = root / "regression.toml"
        policy.write_text(POLICY, encoding="utf-8")
        times: dict[str, list[float]] = {"gate": [], "rerun": [], "cli": []}
        agree = True
        for i in range(args.repeats):
            db = root / f"gate{i}.duckdb"
            times["gate"].append(timed(lambda db=db: gate(adapter, base, db, policy, args.threads))[0])
            times["rerun"].append(timed(lambda db=db: gate(adapter, base, db, policy, args.threads))[0])
            cand_out, base_out = root / f"cli-cand{i}", root / f"cli-base{i}"
            cli = timed(lambda o=cand_out: lm_eval_cli(f"pretrained={base},peft={adapter},dtype=float32,"
                                                       "add_bos_token=False", o, args.threads))[0]
            cli += timed(lambda o=base_out: lm_eval_cli(f"pretrained={base},dtype=float32,add_bos_token=False",
                                                        o, args.threads))[0]
            times["cli"].append(cli)
            for role, out in (("candidate", cand_out), ("baseline", base_out)):
                mine, theirs = gate_scores(db, role), cli_scores(out)
                if mine != theirs:
                    agree = False
                    print(f"repeat {i} {role}: scores differ\n  gate {mine}\n  cli  {theirs}")
        print(f"\nscores: {cli_scores(root / 'cli-cand0')} (candidate), {cli_scores(root / 'cli-base0')} (baseline)")
        cli_median = median(times["cli"])
        print_table(
            f"Benchmark 1: regression suite, candidate + baseline, {args.repeats} repeats, {args.threads} threads "
            f"(scores identical to lm_eval: {agree})",
            ["what", "median s", "runs", "ratio to lm_eval CLI"],
            [["lm_eval CLI: candidate run + baseline run", cli_median, times["cli"], 1.0],
             ["pytest suites/test_regression.py (first run)", median(times["gate"]), times["gate"],
              median(times["gate"]) / cli_median],
             ["pytest suites/test_regression.py (re-run, cached)", median(times["rerun"]), times["rerun"],
              median(times["rerun"]) / cli_median]])


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
