"""The regression suite: lm-eval in-process agrees with the lm_eval CLI; bad task names are clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import BUNDLED_TASKS, parse_task_list, run_tasks, session_lm
from harness.errors import HarnessError

from ..conftest import SUITES


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
