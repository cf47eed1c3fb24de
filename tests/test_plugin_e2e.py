"""End to end through pytester: a LoRA candidate gated by `pytest suites/`, decision and rows in DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from harness.engine import generate, load_model, render_prompt
from harness.jsonl import write_jsonl

from .conftest import SUITES, arithmetic_rows


def eval_set_answered_by(model_dir: Path, path: Path, n: int = 24) -> Path:
    """An eval set whose reference answers are what ``model_dir`` itself says (greedy).

    That model then scores 1.0 by construction and any model that answers differently scores lower, which makes
    the gate's direction certain without scripting its numbers.
    """
    loaded = load_model(model_dir, "ref")
    rows = arithmetic_rows(n, seed=99)
    messages = [r["messages"][:1] for r in rows]
    outputs = generate(loaded.model, loaded.tokenizer, [render_prompt(loaded.tokenizer, m) for m in messages])
    write_jsonl(path, [{"id": f"e{i}", "category": r["category"], "messages": m, "answer": o.text}
                       for i, (r, m, o) in enumerate(zip(rows, messages, outputs, strict=False))])
    return path


TASK_ONLY_POLICY = """
[gate]
confidence = 0.95
resamples = 10000

[[rules]]
name = "task accuracy floor"
metric = "task.normalised_match"
kind = "floor"
min = 0.5

[[rules]]
name = "task accuracy beats baseline"
metric = "task.normalised_match"
kind = "superiority"
"""


def run_gate(pytester: pytest.Pytester, candidate: Path, task_data: Path, db: Path, *extra: str,
             target: Path = SUITES / "test_task.py"):
    """Gate on the task rules only: the default policy's other suites judge things these tiny models cannot
    pass by construction (the arithmetic eval set overlaps the arithmetic training data, so contamination
    rightly rejects; tests/suites/ covers each suite's own rules)."""
    policy = pytester.path / "task_only.toml"
    policy.write_text(TASK_ONLY_POLICY, encoding="utf-8")
    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # tiny models: threads fighting over shared cores cost far more than they give
    try:
        return pytester.runpytest_subprocess(
            str(target), "--candidate", str(candidate), "--task-data", str(task_data), "--results-db", str(db),
            "--policy", str(policy), "-p", "no:cacheprovider", *extra,
        )
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old


def test_better_candidate_is_promoted_and_stored(pytester, lora_candidate, tmp_path):
    task = eval_set_answered_by(lora_candidate, tmp_path / "eval.jsonl")
    db = tmp_path / "r.duckdb"
    result = run_gate(pytester, lora_candidate, task, db, target=SUITES)  # every suite runs, none may crash
    result.stdout.fnmatch_lines(["*PROMOTE*"])
    assert result.ret == 0
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "errors" not in outcomes, outcomes
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT decision FROM decisions").fetchall() == [("PROMOTE",)]
    assert con.execute("SELECT status FROM runs").fetchall() == [("finished",)]
    n = con.execute("SELECT count(*) FROM samples WHERE suite='task' AND metric='exact_match'").fetchone()[0]
    assert n == 48  # 24 items x (candidate, baseline)
    assert con.execute("SELECT count(*) FROM samples WHERE suite='task' AND output IS NULL").fetchone()[0] == 0
    suites = {r[0] for r in con.execute("SELECT DISTINCT suite FROM samples").fetchall()}
    assert suites >= {"task", "regression", "safety", "injection", "contamination", "format", "latency", "prompting"}
    fewshot, zeroshot = (con.execute("SELECT value FROM metrics WHERE suite='prompting' AND metric='prompt_tokens' "
                                     "AND role=?", [r]).fetchone()[0] for r in ("baseline", "candidate"))
    assert fewshot > zeroshot  # few-shot context costs prompt tokens


def test_worse_candidate_is_rejected_naming_the_rule(pytester, lora_candidate, tiny_base, tmp_path):
    task = eval_set_answered_by(tiny_base, tmp_path / "eval.jsonl")
    db = tmp_path / "r.duckdb"
    result = run_gate(pytester, lora_candidate, task, db)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*task accuracy beats baseline: fail*"])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT decision FROM decisions").fetchone()[0] == "REJECT"
    statuses = dict(con.execute("SELECT rule, status FROM rule_verdicts").fetchall())
    assert statuses["task accuracy beats baseline"] == "fail"


def test_deselected_suite_fails_closed(pytester, lora_candidate, tmp_path):
    task = eval_set_answered_by(lora_candidate, tmp_path / "eval.jsonl")
    result = run_gate(pytester, lora_candidate, task, tmp_path / "r.duckdb", "-k", "not task")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*", "*did not run*"])


def test_malformed_eval_set_names_file_and_line(pytester, lora_candidate, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "x", "answer": "1"}\n{"id": "b", "prompt": \n', encoding="utf-8")
    result = run_gate(pytester, lora_candidate, bad, tmp_path / "r.duckdb")
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*{bad}:2: invalid JSON*"])
    result.stdout.fnmatch_lines(["*REJECT*"])
