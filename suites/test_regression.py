"""Regression (catastrophic forgetting): lm-eval tasks on the already loaded candidate and baseline.

By default the bundled group ``tunegate_regression`` (suites/regression/: multiple-choice loglikelihood and
generate_until tasks); ``--regression-tasks`` takes any lm-eval task names, YAML files or folders. Per-document
scores are recorded per task (metric ``<task>``) and pooled (metric ``score``) so one non-inferiority rule covers
all tasks. The documents of all tasks are evaluated a chunk at a time, both models per chunk, and the suite stops
once its rules are decided (``tunegate.chunks``); with ``--no-sequential`` every document runs in one lm-eval run per
model, as the ``lm_eval`` CLI would.
"""

from __future__ import annotations

import pytest

from harness.engine import BUNDLED_TASKS, documents, load_tasks, parse_task_list, run_tasks, session_lm

pytestmark = pytest.mark.suite("regression")

ROLES = ("candidate", "baseline")
CHUNK = 128
"""Documents at the first look (later looks double: ``harness.gate.look_points``): twice the other suites', as
generation tasks (tg_ifeval: up to 128 tokens) batch worse in small chunks; a collapsed candidate still fails at
the first look (the demo's B: general skills 0.13 vs 0.45 at n=128). Run to the end it costs more than one run per
model: on SmolLM2 the 520-document group took 94.9 s a role in chunks of 128, 128 and 264 against 72.4 s in one
run (``benchmarks/bench_chunks.py``, docs/performance.md)."""


def test_regression_tasks(tunegate) -> None:
    spec = tunegate.options.extra.get("regression_tasks")
    names, includes = parse_task_list(spec)
    if not spec:
        for path in sorted(BUNDLED_TASKS.glob("*.jsonl")):
            tunegate.use_data(path)
    tasks = load_tasks(names, includes)
    docs = documents(tasks, tunegate.options.extra.get("regression_limit"))
    assert docs, f"lm-eval tasks {names} hold no documents"
    primary: dict[str, str] = {}
    scores: dict[tuple[str, str], list[float]] = {}
    for chunk in tunegate.chunks(docs, suite="regression", size=CHUNK):
        wanted: dict[str, list[int]] = {}
        for task, doc in chunk:
            wanted.setdefault(task, []).append(doc)
        for role in ROLES:
            result = run_tasks(session_lm(tunegate, role), None, tasks, samples=wanted)
            assert result.samples, f"lm-eval produced no per-sample results for {sorted(wanted)}"
            primary.update(result.primary)
            by_task: dict[str, list[dict]] = {}
            for s in result.samples:
                by_task.setdefault(s.task, []).append({
                    "example_id": f"{s.task}/{s.doc_id}", "category": s.task, "score": s.score, "prompt": s.prompt,
                    "output": s.output, "reference": s.reference,
                })
            for task, rows in by_task.items():
                tunegate.record_samples("regression", role, task, rows)
                scores.setdefault((role, task), []).extend(row["score"] for row in rows)
            tunegate.record_samples("regression", role, "score", [row for rows in by_task.values() for row in rows])
    for (role, task), values in scores.items():  # lm-eval's aggregate of a per-document metric is its mean
        tunegate.record_metric("regression", role, f"{task}.{primary[task].split(',')[0]}",
                               sum(values) / len(values), len(values))
