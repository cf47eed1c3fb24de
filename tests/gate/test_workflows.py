"""The CI workflows: parsed and checked for the keys GitHub needs (actionlint is not available), and the gate
workflow's own commands run locally on tiny models (slow)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from ..conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the bare key `on` as boolean true
    return data


@pytest.mark.parametrize("name", ["tests.yml", "gate.yml"])
def test_workflow_is_well_formed(name):
    wf = load(name)
    assert wf["name"] and wf["on"] and wf["jobs"]
    for job_id, job in wf["jobs"].items():
        assert job.get("runs-on"), f"{name}: job {job_id} has no runs-on"
        assert job.get("steps"), f"{name}: job {job_id} has no steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{name}: {job_id} step {step} needs exactly one of uses/run"
            if "uses" in step:
                assert "@" in step["uses"], f"{name}: pin a version of {step['uses']}"


def test_tests_workflow_lints_types_and_tests():
    runs = " ".join(s.get("run", "") for s in load("tests.yml")["jobs"]["tests"]["steps"])
    assert "ruff check" in runs and "mypy harness trainers" in runs and "pytest" in runs


def steps(job: dict) -> dict[str, dict]:
    return {s.get("name", s.get("uses")): s for s in job["steps"]}


def test_gate_workflow_shape():
    wf = load("gate.yml")
    for trigger in ("pull_request", "push"):
        assert {"data/**", "configs/**"} <= set(wf["on"][trigger]["paths"])
    assert wf["on"]["push"]["branches"] == ["main"]
    gate, promote = wf["jobs"]["gate"], wf["jobs"]["promote"]
    assert "gpu" in gate["runs-on"] and "gpu" in promote["runs-on"]
    gate_steps = steps(gate)
    assert "pytest suites/" in gate_steps["Gate"]["run"]
    assert "tunegate train" in gate_steps["Train"]["run"]
    assert gate_steps["Report"]["if"] == "always()" and gate_steps["Upload results"]["if"] == "always()"
    uploaded = gate_steps["Upload results"]["with"]["path"]
    assert "tunegate.duckdb" in uploaded and "gate-report.html" in uploaded and "gate-junit.xml" in uploaded
    assert promote["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert "tunegate promote latest" in steps(promote)["Promote"]["run"]


def test_run_scripts_read_env_only():
    # Expressions live in env/if blocks; the scripts are plain bash, so the local run below runs what CI runs.
    for name in ("gate.yml", "tests.yml"):
        for job in load(name)["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), f"{name}: step {step.get('name')} uses an expression"


def run_step(step: dict, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One `run:` step under bash -e, with $GITHUB_ENV applied afterwards, as the runner does."""
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True,
                            check=False, timeout=1200)
    for line in Path(env["GITHUB_ENV"]).read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return result


@pytest.mark.slow
def test_gate_workflow_commands_run_locally(tiny_base, train_file, tmp_path):
    """Train → gate → report → promote exactly as the workflow does, on CPU with a tiny model and few steps.

    The tiny model cannot answer the default ICD-10 task set, so the gate must REJECT (exit 1), the report and
    artefacts must still be written, and the merge-time promote must refuse: the whole CI path fails closed.
    """
    wf = load("gate.yml")
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "suites").symlink_to(REPO / "suites")
    config = tmp_path / "train.toml"
    config.write_text(f'[train]\nbase = "{tiny_base}"\ntrain = "{train_file}"\nepochs = 1\nlearning_rate = 5e-3\n'
                      "batch_size = 8\npacking = false\nquiet = true\n")
    env = dict(os.environ, **{k: str(v) for k, v in wf["env"].items()})
    env.update(TUNEGATE_HOME=str(tmp_path / "home"), TUNEGATE_DB=str(tmp_path / "home" / "tunegate.duckdb"),
               TRAIN_CONFIG=str(config), DEVICE="cpu", CANDIDATE_KEY="0123abcd", GITHUB_ENV=str(tmp_path / "env"),
               GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    Path(env["GITHUB_ENV"]).write_text("")
    gate = steps(wf["jobs"]["gate"])
    for name in ("Candidate directory", "Train"):
        result = run_step(gate[name], env, work)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (Path(env["CANDIDATE"]) / "candidate.json").is_file()
    result = run_step(gate["Gate"], env, work)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "REJECT" in result.stdout
    result = run_step(gate["Report"], env, work)
    assert result.returncode == 0, result.stderr
    for artefact in ("tunegate.duckdb", "gate-report.md", "gate-report.html", "gate-junit.xml"):
        assert (work / "results" / artefact).is_file(), artefact
    assert "## tunegate gate: **REJECT**" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    result = run_step(steps(wf["jobs"]["promote"])["Promote"], env, work)
    assert result.returncode == 2 and "only a PROMOTE decision can be promoted" in result.stderr
