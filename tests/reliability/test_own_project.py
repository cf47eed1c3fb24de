"""Gating from a repository of one's own: `tunegate init`, the policy a run resolves (explicit --policy > the
project's gate.toml > the packaged default) printed first, the built-in suites from any directory, evidence
recorded without a suite marker refused, and a warning when a model is judged on the demo's task set."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.builtin import default_policy
from harness.scaffold import scaffold_files

from .conftest import REPO, fake_model_dir, gate_env, query, write_project

TASK_ONLY = ('[[rules]]\nname = "task accuracy floor"\nmetric = "task.normalised_match"\nkind = "floor"\n'
             "min = 0.5\n")


def tunegate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from harness.cli import main; main()", *args], cwd=cwd,
                          env=gate_env(), capture_output=True, text=True, timeout=120)


def pytest_in(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest`` in ``cwd``: the working directory is on sys.path, as it is for a user's project."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          env=gate_env(OMP_NUM_THREADS="1", **env), capture_output=True, text=True, timeout=600)


def header(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("tunegate: ")]


# -- tunegate init ---------------------------------------------------------------------------------------------
def test_init_writes_the_scaffold_and_refuses_to_overwrite(tmp_path):
    done = tunegate("init", "proj", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in scaffold_files():
        assert (tmp_path / "proj" / name).is_file(), name
    assert not (tmp_path / "proj" / "suites" / "__init__.py").exists()  # `suites` is the built-in package
    again = tunegate("init", "proj", cwd=tmp_path)
    assert again.returncode == 2 and "already exist" in again.stderr and "--force" in again.stderr


def test_the_scaffold_policy_extends_the_default_and_its_workflow_runs_both_suites(tmp_path):
    tunegate("init", str(tmp_path), cwd=tmp_path)
    text = (tmp_path / "suites" / "gate.toml").read_text()
    assert 'extends = "tunegate:default"' in text
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "gate.yml").read_text())
    runs = " ".join(step.get("run", "") for step in workflow["jobs"]["gate"]["steps"])
    assert "pytest suites/ --builtin-suites --candidate" in runs and "tunegate report" in runs


def test_the_scaffold_gates_a_tiny_candidate_to_a_decision(tmp_path, tiny_base):
    project = tmp_path / "proj"
    assert tunegate("init", str(project), cwd=tmp_path).returncode == 0
    candidate = shutil.copytree(tiny_base, tmp_path / "cand")
    db = tmp_path / "r.duckdb"
    done = pytest_in(project, "suites/", "--candidate", str(candidate), "--baseline", str(tiny_base),
                     "--results-db", str(db), "-q")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # a decision (REJECT: the built-in suites' rules did not run), not an error
    lines = header(done.stdout)
    policy = project / "suites" / "gate.toml"
    assert lines[0].startswith(f"tunegate: policy {policy.resolve()} sha256 ") and "(the project's" in lines[0]
    assert lines[1].startswith(f"tunegate:   extends tunegate:default = {default_policy()} sha256 ")
    assert "routing: generate candidate: 16/16 rows" in out  # progress off a terminal: a timestamped line
    assert done.stdout.strip().splitlines()[-1].startswith("tunegate: REJECT")
    verdicts = dict(query(db, "SELECT rule, status FROM rule_verdicts"))
    assert verdicts["naming a real team does not regress"] == "pass"  # the project's own rule, on its own suite
    assert "general skills do not regress" in verdicts  # the default's rules, inherited
    reason = query(db, "SELECT reason FROM rule_verdicts WHERE rule = 'task accuracy floor'")[0][0]
    assert "--builtin-suites" in reason  # says how to run the built-in suites too
    if shutil.which("ruff"):
        lint = subprocess.run(["ruff", "check", "--no-cache", "--config", str(REPO / "pyproject.toml"),
                               str(project / "suites")], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout


def test_builtin_suites_collect_beside_the_projects_own(tmp_path):
    """The project's suites/ (no __init__.py) and the installed `suites` package, in one run, cwd on sys.path."""
    assert tunegate("init", str(tmp_path), cwd=tmp_path).returncode == 0
    done = pytest_in(tmp_path, "suites/", "--builtin-suites", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_routing.py::test_routing[candidate]" in done.stdout
    assert "test_task.py::test_task_accuracy" in done.stdout


def test_builtin_suites_alone_from_an_empty_directory_use_the_packaged_default(tmp_path):
    fake_model_dir(tmp_path / "cand", b"c")
    fake_model_dir(tmp_path / "base", b"b")
    empty = tmp_path / "empty"
    empty.mkdir()
    done = pytest_in(empty, "--builtin-suites", "--collect-only", "-q", "--candidate", str(tmp_path / "cand"),
                     "--baseline", str(tmp_path / "base"), "--results-db", str(tmp_path / "r.duckdb"))
    assert f"tunegate: policy {default_policy()} sha256 " in done.stdout, done.stdout + done.stderr
    assert "(the packaged default (tunegate:default)" in done.stdout
    assert "test_task.py::test_task_accuracy" in done.stdout


# -- policy resolution -----------------------------------------------------------------------------------------
def test_an_explicit_policy_wins_over_the_projects(pytester, project):
    other = project / "other.toml"
    other.write_text((project / "suites" / "gate.toml").read_text(), encoding="utf-8")
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--rootdir", str(project), "-p", "no:cacheprovider", "-q", "--policy", str(other),
        "--candidate", str(project / "cand"), "--baseline", str(project / "base"), "--results-db",
        str(project / "r.duckdb"))
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"tunegate: policy {other.resolve()} sha256 * (--policy)"])
    assert query(project / "r.duckdb", "SELECT policy_path FROM runs") == [(str(other.resolve()),)]


def test_a_gate_toml_under_the_rootdir_is_the_projects(pytester, tmp_path):
    suites = write_project(tmp_path)
    (suites / "gate.toml").rename(tmp_path / "gate.toml")
    fake_model_dir(tmp_path / "cand", b"c")
    fake_model_dir(tmp_path / "base", b"b")
    result = pytester.runpytest_inprocess(
        str(suites), "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "--candidate", str(tmp_path / "cand"),
        "--baseline", str(tmp_path / "base"), "--results-db", str(tmp_path / "r.duckdb"))
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"tunegate: policy {(tmp_path / 'gate.toml').resolve()} sha256 * (the project's, "
                                 f"under the rootdir {tmp_path})"])


def test_a_changed_base_policy_blocks_promotion(pytester, project):
    """The files a policy extends are evidence like the eval data: promote refuses once one has changed."""
    base = project / "base.toml"
    base.write_text((project / "suites" / "gate.toml").read_text(), encoding="utf-8")
    (project / "suites" / "gate.toml").write_text('extends = "../base.toml"\n', encoding="utf-8")
    db = project / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--rootdir", str(project), "-p", "no:cacheprovider", "--candidate",
        str(project / "cand"), "--baseline", str(project / "base"), "--results-db", str(db))
    assert result.ret == 0
    base.write_text(base.read_text().replace("min = 0.5", "min = 0.1"), encoding="utf-8")
    run_id = query(db, "SELECT id FROM runs")[0][0]
    done = tunegate("promote", run_id, "--db", str(db), cwd=project)
    assert done.returncode == 2 and f"{base.resolve()}: changed since run" in done.stderr


# -- evidence without a suite marker ---------------------------------------------------------------------------
def test_recording_without_a_suite_marker_is_an_error_naming_the_marker(pytester, project):
    (project / "suites" / "test_cheap.py").write_text(
        "def test_unmarked(tunegate):\n"
        "    tunegate.record_samples('cheap', 'candidate', 'm0', [{'example_id': 'a', 'score': 1.0}])\n")
    db = project / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--rootdir", str(project), "-p", "no:cacheprovider", "--candidate",
        str(project / "cand"), "--baseline", str(project / "base"), "--results-db", str(db))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*test_unmarked records cheap.m0 but has no suite marker*"
                                 "pytestmark = pytest.mark.suite('cheap')*"])
    assert query(db, "SELECT decision FROM decisions") == [("REJECT",)]
    reasons = query(db, "SELECT reasons FROM decisions")[0][0]
    assert "no suite marker" in reasons


def test_recording_under_another_suites_name_is_an_error(pytester, project):
    (project / "suites" / "test_cheap.py").write_text(
        "import pytest\npytestmark = pytest.mark.suite('cheap')\n\ndef test_other(tunegate):\n"
        "    tunegate.record_metric('elsewhere', 'candidate', 'x', 1.0)\n")
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--rootdir", str(project), "-p", "no:cacheprovider", "--candidate",
        str(project / "cand"), "--baseline", str(project / "base"), "--results-db", str(project / "r.duckdb"))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*is marked suite('cheap') but records elsewhere.x*"])


# -- the demo's task set ---------------------------------------------------------------------------------------
def test_judging_another_model_on_the_demo_task_set_warns(tmp_path, tiny_base):
    policy = tmp_path / "task.toml"
    policy.write_text(TASK_ONLY, encoding="utf-8")
    candidate = shutil.copytree(tiny_base, tmp_path / "cand")
    done = pytest_in(tmp_path, str(REPO / "suites" / "test_task.py"), "--candidate", str(candidate), "--baseline",
                     str(tiny_base), "--policy", str(policy), "--results-db", str(tmp_path / "r.duckdb"),
                     "--rootdir", str(tmp_path))
    assert "no --task-data given, so the task suite judges this model on the demo's ICD-10-CM" in done.stdout, (
        done.stdout + done.stderr)
    with_data = pytest_in(tmp_path, str(REPO / "suites" / "test_task.py"), "--candidate", str(candidate),
                          "--baseline", str(tiny_base), "--policy", str(policy), "--results-db",
                          str(tmp_path / "r.duckdb"), "--rootdir", str(tmp_path), "--task-data",
                          str(REPO / "suites" / "data" / "task_eval.jsonl"))
    assert "no --task-data given" not in with_data.stdout


@pytest.mark.slow
def test_the_scaffold_workflows_gate_command_runs_every_suite(tmp_path, tiny_base):
    """The Gate step of the scaffolded workflow, run as CI would (plain bash over its env vars), on a tiny model:
    the project's suite and all eight built-in ones run, and the run ends on a decision."""
    project = tmp_path / "proj"
    assert tunegate("init", str(project), cwd=tmp_path).returncode == 0
    workflow = yaml.safe_load((project / ".github" / "workflows" / "gate.yml").read_text())
    step = next(s for s in workflow["jobs"]["gate"]["steps"] if s.get("name", "").startswith("Gate"))
    candidate = shutil.copytree(tiny_base, tmp_path / "cand")
    env = gate_env(**{**{k: str(v) for k, v in workflow["env"].items()}, "CANDIDATE": str(candidate),
                      "OMP_NUM_THREADS": "1"})
    command = step["run"].replace("pytest ", f"{sys.executable} -m pytest --baseline {tiny_base} ", 1)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.stdout.strip().splitlines()[-1].startswith(("tunegate: PROMOTE", "tunegate: REJECT")), done.stdout
    suites = {row[0] for row in query(project / "results" / "tunegate.duckdb", "SELECT DISTINCT suite FROM "
                                      "suite_outcomes")}
    assert suites == {"routing", "task", "regression", "safety", "injection", "contamination", "format", "latency",
                      "prompting"}
    assert (project / "results" / "gate-junit.xml").is_file()
