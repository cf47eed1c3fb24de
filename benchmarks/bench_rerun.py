"""Benchmark 3: what a second gate run costs. The task suite (candidate and baseline answer the suite's prompts,
scored, recorded, decided) runs in-process on a fresh GateSession each time, as a new pytest process would:
first run (cold cache), re-run of the same candidate, and a second candidate against the same baseline. Each
repeat uses a fresh database and clears the per-process fingerprint memo (the persistent fingerprint file
stays, as it would between CI runs). ``--pytest`` also times real ``pytest suites/test_task.py`` subprocesses.

    PYTHONPATH=. python benchmarks/bench_rerun.py [--repeats 3] [--pytest]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median, print_table, timed
from workload import REPO, TASK_DATA, build_adapter, build_base


def gate_in_process(candidate: Path, db: Path) -> tuple[str, int, int]:
    """The task suite's work, through the same GateSession calls suites/test_task.py makes."""
    import harness.engine.fingerprint as fingerprint
    from harness.engine import DecodingParams, render_prompt
    from harness.evalsets import load_eval_set
    from harness.scorers import exact_match
    from harness.session import GateOptions, GateSession

    fingerprint._memo.clear()  # a new process would start without it
    session = GateSession(GateOptions(candidate=candidate, policy=REPO / "suites" / "gate.toml", db=db))
    session.start()
    items = load_eval_set(TASK_DATA)
    session.use_data(TASK_DATA)
    for role in ("candidate", "baseline"):
        prompts = [render_prompt(session.tokenizer(role), item.messages) for item in items]
        outputs = session.generate(role, prompts, DecodingParams(max_new_tokens=24))
        session.record_samples("task", role, "exact_match", [
            {"example_id": item.id, "category": item.category, "prompt": p, "output": o.text,
             "reference": item.answers[0], "score": exact_match(o.text, item.answers), "latency_ms": o.latency_ms}
            for item, p, o in zip(items, prompts, outputs, strict=True)])
        session.flush()
    decision = session.finish({"task": "passed"})
    return decision.decision, session.cache.hits, session.cache.misses


def gate_pytest(candidate: Path, db: Path) -> None:
    subprocess.run([sys.executable, "-m", "pytest", str(REPO / "suites" / "test_task.py"), "-q", "-p",
                    "no:cacheprovider", "--candidate", str(candidate), "--results-db", str(db)],
                   check=False, capture_output=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 avoids oversubscription)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pytest", action="store_true", help="also time real pytest subprocess runs")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["TUNEGATE_FINGERPRINT_CACHE"] = str(root / "fingerprints.json")
        base = build_base(root)
        one = build_adapter(base, root / "cand-1", seed=1)
        two = build_adapter(base, root / "cand-2", seed=2)
        modes = [("in-process GateSession", gate_in_process)]
        if args.pytest:
            modes.append(("pytest suites/test_task.py (subprocess)", gate_pytest))
        rows = []
        for label, gate in modes:
            times: dict[str, list[float]] = {"first": [], "rerun": [], "second": []}
            counts = {}
            for i in range(args.repeats):
                db = root / f"{label[:3]}{i}.duckdb"
                times["first"].append(timed(lambda db=db, gate=gate: gate(one, db))[0])
                seconds, result = timed(lambda db=db, gate=gate: gate(one, db))
                times["rerun"].append(seconds)
                counts["rerun"] = result
                seconds, result = timed(lambda db=db, gate=gate: gate(two, db))
                times["second"].append(seconds)
                counts["second"] = result
            first = median(times["first"])
            for key, name in (("first", "first run (cold cache)"), ("rerun", "re-run, same candidate"),
                              ("second", "2nd candidate, same baseline")):
                hits = f"{counts[key][1]} hits / {counts[key][2]} misses" if counts.get(key) else ""
                rows.append([label, name, median(times[key]), median(times[key]) / first, hits])
    print(f"~8M-param Llama (hidden 384, 6 layers), random LoRA candidates, {TASK_DATA.name} "
          f"({sum(1 for line in TASK_DATA.open() if line.strip())} prompts x 2 roles, "
          f"24 new tokens), medians of {args.repeats} runs")
    print_table("second runs vs the first (target: re-run <= 5% of first)",
                ["mode", "run", "median s", "ratio to first", "cache"], rows)


if __name__ == "__main__":
    main()
