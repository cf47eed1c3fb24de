"""Benchmark 1: the regression suite under `pytest suites/` vs the `lm_eval` CLI, same tasks, same models.

A gate compares a candidate with its baseline, so one gate run is measured against the `lm_eval` runs that
produce the same numbers (candidate: base + LoRA adapter through lm-eval's ``peft=``; baseline: the base). The
tasks are the bundled ``tunegate_regression`` group (multiple choice and generate_until; sizes in suites/DATA.md).
``tg_ifeval`` is rendered with the chat template, which the CLI applies per run only (``--apply_chat_template``),
so per model the CLI needs two processes to give the gate's scores: the other tasks plain, tg_ifeval chat-rendered
(four in all, the "lm_eval CLI" row). The "one CLI run per model" row is the group in one plain process each, as a
user of lm-eval alone would run it; its tg_ifeval prompts lack the chat template, so only its other tasks are
compared. Models (``--model``):

- ``toy`` (default): a ~25M-parameter Llama built from a config (random weights, a BPE tokenizer trained on the
  task texts), adapter with random LoRA weights;
- ``smollm2``: SmolLM2-135M-Instruct (``cached_import("smollm2")``, float32) with a random non-zero LoRA adapter.

Every run is a fresh process on a fresh results database; the gate's generation cache starts empty except in the
"re-run" row, which repeats the gate on the database of its first run. The gate runs with ``--no-sequential``
(every document, as the CLI) and, in the last row, sequentially (stopping once the rule is decided; only its time
is compared, as it scores part of the documents). Scores must be identical: per task, the
gate's stored metric against the CLI's results file.

    python benchmarks/bench_regression.py [--model toy|smollm2] [--repeats 3] [--threads 2] [--no-single]
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


CHAT_TASKS = ["tg_ifeval"]
FIXED = "--no-sequential"
PLAIN_TASKS = ["tg_arithmetic", "tg_facts", "tg_strings", "tg_formats"]


def build_models(root: Path, model: str) -> tuple[Path, Path]:
    """(base dir, LoRA adapter dir): the toy ~25M-parameter Llama with a tokenizer trained on the regression
    texts, or SmolLM2-135M-Instruct."""
    from workload import build_adapter

    from harness.engine import build_tiny_model, cached_import

    if model == "smollm2":
        base = cached_import("smollm2")
    else:
        texts = [line for path in sorted(TASKS.glob("*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines()]
        base = build_tiny_model(root / "base", texts, hidden_size=512, layers=8, heads=8, vocab_size=4000)
    return base, build_adapter(base, root / "adapter", seed=1)


def env(threads: int) -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                OMP_NUM_THREADS=str(threads), PYTHONPATH=str(REPO))


def gate(adapter: Path, base: Path, db: Path, policy: Path, threads: int, *extra: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", str(SUITE), "--candidate", str(adapter), "--baseline",
                           str(base), "--policy", str(policy), "--results-db", str(db), "-q", "-p", "no:cacheprovider",
                           *extra],
                          cwd=REPO, env=env(threads), capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"gate failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def lm_eval_cli(model_args: str, out: Path, threads: int, tasks: str, chat: bool = False) -> None:
    done = subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", model_args,
                           "--tasks", tasks, "--include_path", str(TASKS), "--device", "cpu",
                           "--batch_size", "16", "--output_path", str(out), *(["--apply_chat_template"] if chat else [])],
                          cwd=REPO, env=env(threads), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"lm_eval failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def cli_pair(model_args: str, out: Path, threads: int) -> float:
    """Seconds of the CLI runs giving the gate's scores for one model: plain tasks, then tg_ifeval chat-rendered."""
    seconds = timed(lambda: lm_eval_cli(model_args, out / "plain", threads, ",".join(PLAIN_TASKS)))[0]
    return seconds + timed(lambda: lm_eval_cli(model_args, out / "chat", threads, ",".join(CHAT_TASKS), chat=True))[0]


PRIMARY = ("acc", "exact_match", "prompt_level_strict_acc")


def cli_scores(out: Path) -> dict[str, float]:
    scores: dict[str, float] = {}
    for path in out.rglob("results_*.json"):
        results = json.loads(path.read_text())["results"]
        scores.update({task: value for task, metrics in results.items() if task.startswith("tg_")
                       for key, value in metrics.items() if key.split(",")[0] in PRIMARY})
    return scores


def gate_scores(db: Path, role: str) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT metric, value FROM metrics WHERE suite = 'regression' AND role = ? AND metric LIKE '%.%'",
                       [role]).fetchall()
    con.close()
    return {metric.rsplit(".", 1)[0]: value for metric, value in rows}


def stopped(db: Path) -> str:
    """Where the sequential run's regression rule stopped ('decided pass at n=128'), or that it ran every document."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    [(why,)] = con.execute("SELECT stop_reason FROM rule_verdicts").fetchall()
    con.close()
    return why if why and why.startswith("decided") else "every document"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="OMP/torch threads of every measured process")
    parser.add_argument("--model", choices=("toy", "smollm2"), default="toy")
    parser.add_argument("--no-single", action="store_true", help="skip the one-CLI-run-per-model row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["TUNEGATE_FINGERPRINT_CACHE"] = str(root / "fingerprints.json")
        base, adapter = build_models(root, args.model)
        models = {"candidate": f"pretrained={base},peft={adapter},dtype=float32,add_bos_token=False",
                  "baseline": f"pretrained={base},dtype=float32,add_bos_token=False"}

        policy = root / "regression.toml"
        policy.write_text(POLICY, encoding="utf-8")
        times: dict[str, list[float]] = {"gate": [], "rerun": [], "sequential": [], "cli": [], "single": []}
        agree = True
        for i in range(args.repeats):
            db = root / f"gate{i}.duckdb"
            # --no-sequential: every document, as the CLI runs them, so the scores must be identical
            times["gate"].append(timed(lambda db=db: gate(adapter, base, db, policy, args.threads, FIXED))[0])
            times["rerun"].append(timed(lambda db=db: gate(adapter, base, db, policy, args.threads, FIXED))[0])
            times["sequential"].append(timed(lambda i=i: gate(adapter, base, root / f"seq{i}.duckdb", policy,
                                                              args.threads))[0])
            times["cli"].append(sum(cli_pair(models[role], root / f"cli-{role}{i}", args.threads) for role in models))
            if not args.no_single:
                times["single"].append(sum(
                    timed(lambda r=role, i=i: lm_eval_cli(models[r], root / f"single-{r}{i}", args.threads,
                                                          "tunegate_regression"))[0] for role in models))
            for role in models:
                mine, theirs = gate_scores(db, role), cli_scores(root / f"cli-{role}{i}")
                if mine != theirs:
                    agree = False
                    print(f"repeat {i} {role}: scores differ\n  gate {mine}\n  cli  {theirs}")
                if not args.no_single:
                    single = cli_scores(root / f"single-{role}{i}")
                    if {t: v for t, v in single.items() if t in PLAIN_TASKS} != {t: v for t, v in mine.items()
                                                                               if t in PLAIN_TASKS}:
                        agree = False
                        print(f"repeat {i} {role}: one-run CLI scores differ\n  gate {mine}\n  cli  {single}")
        for role in models:
            print(f"{role} scores: {cli_scores(root / f'cli-{role}0')}")
        cli_median = median(times["cli"])
        rows = [["lm_eval CLI: 2 runs per model (same scores)", cli_median, times["cli"], 1.0]]
        if times["single"]:
            rows.append(["lm_eval CLI: 1 run per model (tg_ifeval unrendered)", median(times["single"]),
                         times["single"], median(times["single"]) / cli_median])
        for key, what in (("gate", "first run, --no-sequential"), ("rerun", "re-run, cached"),
                          ("sequential", f"first run, sequential: {stopped(root / 'seq0.duckdb')}")):
            rows.append([f"pytest suites/test_regression.py ({what})", median(times[key]), times[key],
                         median(times[key]) / cli_median])
            if times["single"]:
                rows[-1].append(median(times[key]) / median(times["single"]))
        header = ["what", "median s", "runs", "ratio to CLI"] + (["ratio to 1-run CLI"] if times["single"] else [])
        rows = [row + [""] * (len(header) - len(row)) for row in rows]
        print_table(
            f"Benchmark 1: regression suite, {args.model}, candidate + baseline, {args.repeats} repeats, "
            f"{args.threads} threads (scores identical to lm_eval: {agree})", header, rows)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
