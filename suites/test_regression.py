"""Regression (catastrophic forgetting): lm-eval tasks on the already loaded candidate and baseline.

By default the bundled group ``tunegate_regression`` (suites/regression/: multiple-choice loglikelihood and
generate_until tasks); ``--regression-tasks`` takes any lm-eval task names, YAML files or folders. Per-document
scores are recorded per task (metric ``<task>``) and pooled (metric ``score``) so one non-inferiority rule covers
all tasks.
"""

from __future__ import annotations

import pytest

from harness.engine import BUNDLED_TASKS, parse_task_list, run_tasks, session_lm

pytestmark = pytest.mark.suite("regression")


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_regression_tasks(tunegate, role: str) -> None:
    names, includes = parse_task_list(tunegate.options.extra.get("regression_tasks"))
    if not tunegate.options.extra.get("regression_tasks"):
        for path in sorted(BUNDLED_TASKS.glob("*.jsonl")):
            tunegate.use_data(path)
    result = run_tasks(session_lm(tunegate, role), None, names, include_paths=includes,
                       limit=tunegate.options.extra.get("regression_limit"))
    assert result.samples, f"lm-eval produced no per-sample results for {names}"
    by_task: dict[str, list[dict]] = {}
    for s in result.samples:
        by_task.setdefault(s.task, []).append({
            "example_id": f"{s.task}/{s.doc_id}", "category": s.task, "score": s.score, "prompt": s.prompt,
            "output": s.output, "reference": s.reference,
        })
    for task, rows in by_task.items():
        tunegate.record_samples("regression", role, task, rows)
        key = result.primary[task]
        tunegate.record_metric("regression", role, f"{task}.{key.split(',')[0]}", result.scores[task][key], len(rows))
    tunegate.record_samples("regression", role, "score", [row for rows in by_task.values() for row in rows])
