"""The regression suite: lm-eval in-process agrees with the lm_eval CLI; bad task names are clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import BUNDLED_TASKS, documents, load_tasks, parse_task_list, run_tasks, session_lm
from harness.errors import HarnessError

from ..conftest import SUITES
from .conftest import gate


def test_task_list_parsing(tmp_path):
    assert parse_task_list(None) == (["tunegate_regression"], [])
    names, includes = parse_task_list(f"hellaswag,{BUNDLED_TASKS / 'tg_facts.yaml'}")
    assert names == ["hellaswag", "tg_facts"] and includes == [str(BUNDLED_TASKS)]
    with pytest.raises(HarnessError, match="not found"):
        parse_task_list(str(tmp_path / "missing.yaml"))


def gate_session(model: Path, db: Path):
    from harness.session import GateOptions, GateSession

    return GateSession(GateOptions(candidate=model, baseline=str(model), db=db, policy=SUITES / "gate.toml"))


def test_second_run_is_answered_from_the_cache_without_loading_weights(tiny_base, tmp_path):
    tasks = ["tg_arithmetic", "tg_strings"]  # one loglikelihood task, one generate_until task
    first = gate_session(tiny_base, tmp_path / "r.duckdb")
    one = run_tasks(session_lm(first, "candidate"), None, tasks, limit=8)
    assert "candidate" in first._models
    first.abort("test over")
    again = gate_session(tiny_base, tmp_path / "r.duckdb")
    two = run_tasks(session_lm(again, "candidate"), None, tasks, limit=8)
    assert not again._models, "a fully cached lm-eval run must not load the model"
    assert two.scores == one.scores
    assert [(s.task, s.doc_id, s.score, s.output) for s in two.samples] == \
        [(s.task, s.doc_id, s.score, s.output) for s in one.samples]
    again.abort("test over")


def test_chosen_documents_score_as_in_a_whole_run(tiny_base, tmp_path):
    """The suite evaluates documents a chunk at a time (``samples=``): each keeps its index as doc_id and gets the
    prompt, output and score it gets in a run over every document; loaded tasks are reused across runs."""
    tasks = ["tg_arithmetic", "tg_strings"]
    session = gate_session(tiny_base, tmp_path / "r.duckdb")
    lm = session_lm(session, "candidate")
    whole = {(s.task, s.doc_id): (s.prompt, s.output, s.score) for s in run_tasks(lm, None, tasks, limit=12).samples}
    loaded = load_tasks(tasks)
    assert documents(loaded, 12) == [(t, i) for t in tasks for i in range(12)]
    assert len(documents(loaded)) == sum(len((BUNDLED_TASKS / f"{n}.jsonl").read_text().splitlines())
                                         for n in ("arithmetic", "strings"))
    chosen = {"tg_arithmetic": [11, 2, 7], "tg_strings": [5]}
    for _ in range(2):
        part = run_tasks(lm, None, loaded, samples=chosen)
        assert sorted((s.task, s.doc_id) for s in part.samples) == [
            ("tg_arithmetic", 2), ("tg_arithmetic", 7), ("tg_arithmetic", 11), ("tg_strings", 5)]
        for s in part.samples:
            assert (s.prompt, s.output, s.score) == whole[(s.task, s.doc_id)]
    session.abort("test over")


REGRESSION_POLICY = """
[[rules]]
name = "general skills do not regress"
metric = "regression.score"
kind = "non_inferiority"
margin = 0.05
"""


def test_the_suite_stops_once_its_rule_is_decided(pytester, tiny_base, tmp_path):
    """A candidate that is its baseline answers every document alike: the suite evaluates chunks of documents
    for both models and stops once the non-inferiority rule passes, well before tg_arithmetic's 250 documents;
    the per-task metric covers the documents evaluated."""
    import duckdb

    policy = tmp_path / "gate.toml"
    policy.write_text(REGRESSION_POLICY, encoding="utf-8")
    db = tmp_path / "r.duckdb"
    result = gate(pytester, "test_regression.py", tiny_base, db, "--baseline", str(tiny_base), "--policy",
                  str(policy), "--regression-tasks", "tg_arithmetic")
    assert result.ret == 0, result.stdout.str()[-3000:]
    con = duckdb.connect(str(db), read_only=True)
    [(status, used, stop)] = con.execute("SELECT status, items_used, stop_reason FROM rule_verdicts").fetchall()
    assert status == "pass" and used < 250 and used % 128 == 0 and stop == f"decided pass at n={used}"
    for role in ("candidate", "baseline"):
        scored = con.execute("SELECT count(*), avg(score) FROM samples WHERE metric = 'score' AND role = ?",
                             [role]).fetchone()
        assert scored[0] == used
        assert con.execute("SELECT value, n FROM metrics WHERE metric = 'tg_arithmetic.acc' AND role = ?",
                           [role]).fetchone() == pytest.approx((scored[1], used))


@pytest.mark.slow
def test_in_process_scores_equal_lm_eval_cli(tiny_base, tmp_path):
    """Same task YAMLs, same model dir: the gate's engine under lm-eval, lm-eval's own HFLM in-process, and
    `python -m lm_eval` report the same numbers, per task and per document."""
    from harness.engine import load_model

    tasks = "tg_arithmetic,tg_strings"
    out = tmp_path / "cli"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
                    f"pretrained={tiny_base},dtype=float32,add_bos_token=False", "--tasks", tasks,
                    "--include_path", str(BUNDLED_TASKS), "--device", "cpu", "--batch_size", "16",
                    "--output_path", str(out), "--log_samples"], check=True, env=env, capture_output=True)
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    loaded = load_model(tiny_base, "baseline")
    hflm = run_tasks(loaded.model, loaded.tokenizer, tasks.split(","))
    session = gate_session(tiny_base, tmp_path / "r.duckdb")
    mine = run_tasks(session_lm(session, "candidate"), None, tasks.split(","))
    session.abort("test over")
    for task in tasks.split(","):
        key = mine.primary[task]
        assert mine.scores[task][key] == pytest.approx(results[task][key], abs=1e-9), task
        assert hflm.scores[task][key] == pytest.approx(results[task][key], abs=1e-9), task
    documents = sum(len((BUNDLED_TASKS / f"{name}.jsonl").read_text().splitlines()) for name in ("arithmetic", "strings"))
    assert len(mine.samples) == documents
    cli_scores, cli_outputs = {}, {}
    for task in tasks.split(","):
        metric = mine.primary[task].split(",")[0]
        for path in out.rglob(f"samples_{task}_*.jsonl"):
            for line in path.read_text().splitlines():
                row = json.loads(line)
                cli_scores[task, row["doc_id"]] = float(row[metric])
                cli_outputs[task, row["doc_id"]] = str(row["filtered_resps"][0])
    assert cli_scores == {(s.task, s.doc_id): s.score for s in mine.samples}
    strings = {k: v for k, v in cli_outputs.items() if k[0] == "tg_strings"}
    assert strings == {(s.task, s.doc_id): s.output for s in mine.samples if s.task == "tg_strings"}
