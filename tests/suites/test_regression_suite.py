"""The regression suite: lm-eval in-process agrees with the lm_eval CLI; bad task names are clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from harness.errors import HarnessError
from harness.lmeval import BUNDLED_TASKS, parse_task_list, run_tasks


def test_task_list_parsing(tmp_path):
    assert parse_task_list(None) == (["tunegate_regression"], [])
    names, includes = parse_task_list(f"hellaswag,{BUNDLED_TASKS / 'tg_facts.yaml'}")
    assert names == ["hellaswag", "tg_facts"] and includes == [str(BUNDLED_TASKS)]
    with pytest.raises(HarnessError, match="not found"):
        parse_task_list(str(tmp_path / "missing.yaml"))


@pytest.mark.slow
def test_in_process_scores_equal_lm_eval_cli(tiny_base, tmp_path):
    """Same task YAMLs, same model dir: the in-process glue and `python -m lm_eval` report the same numbers."""
    from harness.models import load_model

    tasks = "tg_arithmetic,tg_strings"
    out = tmp_path / "cli"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
                    f"pretrained={tiny_base},dtype=float32,add_bos_token=False", "--tasks", tasks,
                    "--include_path", str(BUNDLED_TASKS), "--device", "cpu", "--batch_size", "16",
                    "--output_path", str(out), "--log_samples"], check=True, env=env, capture_output=True)
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    loaded = load_model(tiny_base, "baseline")
    mine = run_tasks(loaded.model, loaded.tokenizer, tasks.split(","))
    for task in tasks.split(","):
        key = mine.primary[task]
        assert mine.scores[task][key] == pytest.approx(results[task][key], abs=1e-9), task
    assert len(mine.samples) == 60
    cli_outputs = {}
    for path in out.rglob("samples_tg_strings_*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            cli_outputs[row["doc_id"]] = str(row["filtered_resps"][0])
    assert cli_outputs == {s.doc_id: s.output for s in mine.samples if s.task == "tg_strings"}
