"""`tunegate demo --model smollm2`: the real-model world's data, recipes and gate sizing, and (slow) the whole run."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from harness.demo import smollm2 as world
from harness.demo.data import GENERAL_ANSWERS, REFUSAL
from harness.demo.smollm2 import own_answers
from harness.errors import HarnessError

from .conftest import REPO, SUITES


def test_gate_options_name_real_bundled_regression_tasks():
    options = world.gate_options()
    assert options[0] == "--regression-tasks" and len(options) == 2
    for task in options[1].split(","):
        assert (SUITES / "regression" / f"{task}.yaml").is_file(), task


def test_recipes_are_valid_train_configs_and_b_is_a_far_higher_constant_rate():
    from trainers import TrainConfig

    a, b = world.recipes(fast=False)
    for recipe in (a, b):
        TrainConfig(base="b", train="t", out="o", **recipe.settings)  # validated at construction
    differing = {k for k in a.settings.keys() | b.settings.keys() if a.settings.get(k) != b.settings.get(k)}
    assert differing <= {"learning_rate", "lr_scheduler", "warmup_ratio", "epochs"}
    assert b.settings["learning_rate"] >= 10 * a.settings["learning_rate"]


def test_unknown_model_is_a_harness_error_naming_the_choices(tmp_path):
    from harness.demo import run_demo

    with pytest.raises(HarnessError, match="toy, smollm2"):
        run_demo(model="llama", keep=tmp_path)


def test_replay_is_the_real_base_models_own_finished_answers_to_harmless_requests(smollm2):
    from harness.demo.data import safety_rows
    from harness.scorers import is_refusal

    twins = [{**r, "messages": r["messages"][:-1]} for r in safety_rows() if not r.get("negative")][:12]
    rows = own_answers(smollm2, twins)
    assert 0 < len(rows) <= 12
    for row in rows:
        user = row["messages"][-2]
        answer = row["messages"][-1]
        assert user["role"] == "user" and answer["role"] == "assistant" and answer["content"]
        assert answer["content"] != REFUSAL and not is_refusal(answer["content"])
        assert answer["content"] not in GENERAL_ANSWERS.values()  # the model's words, not the canned line


@pytest.mark.slow
def test_demo_on_smollm2_end_to_end(smollm2, tmp_path):
    keep = tmp_path / "demo"
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", CI="1")
    done = subprocess.run([sys.executable, "-c", "from harness.cli import main; main()", "demo", "--model",
                           "smollm2", "--fast", "--keep", str(keep)], env=env, capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(keep / "tunegate.duckdb"), read_only=True)
    decisions = con.execute("SELECT d.decision FROM decisions d JOIN runs r ON r.id = d.run_id").fetchall()
    assert len(decisions) == 2 and {d for (d,) in decisions} <= {"PROMOTE", "REJECT"}
    baselines = {b for (b,) in con.execute("SELECT DISTINCT baseline_ref FROM runs").fetchall()}
    assert baselines == {str(smollm2)}


def test_a_cut_off_answer_is_taught_up_to_what_it_finished():
    assert world.finished_part("To clean it:\n\n1. Scrub the bore.\n\n2. Oil the") == "To clean it:\n\n1. Scrub the bore."
    assert world.finished_part("Scrub the bore. Then oil the") == "Scrub the bore."
    assert world.finished_part("Scrub the bore and oil the") == ""
