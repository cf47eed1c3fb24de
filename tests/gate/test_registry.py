"""Registry: promote only approved, untampered candidates; rollback to the previous holder; alias resolution."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from safetensors.numpy import save_file
from typer.testing import CliRunner

from harness.cli import app
from harness.engine import weights_fingerprint
from harness.errors import HarnessError
from harness.store import Store, insert_rows, promote, resolve_alias, rollback

from ..conftest import SUITES
from ..test_plugin_e2e import TASK_ONLY_POLICY, eval_set_answered_by


def fake_candidate(root: Path, seed: int) -> Path:
    """A directory holding one safetensors file: enough for a weights fingerprint."""
    root.mkdir(parents=True)
    save_file({"w": np.random.default_rng(seed).random((4, 4)).astype(np.float32)}, str(root / "model.safetensors"))
    return root


def decided(store: Store, run_id: str, path: Path, decision: str = "PROMOTE", minute: int = 0) -> None:
    t = dt.datetime(2026, 1, 1) + dt.timedelta(minutes=minute)
    with store.write() as con:
        insert_rows(con, "runs", [{"id": run_id, "started_at": t, "status": "finished", "candidate_id": path.name,
                                   "candidate_path": str(path), "candidate_fingerprint": weights_fingerprint(path)}])
        insert_rows(con, "decisions", [{"run_id": run_id, "decision": decision, "reasons": "[]",
                                        "candidate_fingerprint": weights_fingerprint(path), "decided_at": t}])


@pytest.fixture
def two_approved(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    a, b = fake_candidate(tmp_path / "a", 1), fake_candidate(tmp_path / "b", 2)
    decided(store, "run-a", a)
    decided(store, "run-b", b, minute=1)
    return store, a, b


def test_promote_then_rollback_restores_previous_holder(two_approved):
    store, a, b = two_approved
    assert resolve_alias(store, "production") is None
    promote(store, "run-a")
    promote(store, "run-b")
    assert resolve_alias(store, "production").path == str(b)
    assert rollback(store).run_id == "run-a"
    assert resolve_alias(store, "production").path == str(a)
    assert rollback(store) is None
    with pytest.raises(HarnessError, match="no holder to roll back"):
        rollback(store)


def promotion_rows(store: Store) -> list[tuple]:
    return store.query("SELECT action, run_id FROM promotions ORDER BY promoted_at, rowid")[1]


def test_promoting_the_holder_again_is_a_no_op_so_rollback_reaches_the_one_before(two_approved):
    """promote A, A again, B; rollback -> A (not A again); the repeat recorded nothing."""
    store, a, b = two_approved
    promote(store, "run-a")
    again = promote(store, "run-a")
    assert again.already and again.run_id == "run-a"
    assert promotion_rows(store) == [("promote", "run-a")]
    assert not promote(store, "run-b").already
    assert rollback(store).path == str(a)
    assert rollback(store) is None


def test_rollback_after_a_repeated_promote_leaves_the_alias_empty(two_approved):
    """promote A, A again; rollback -> nothing held (the repeat did not stack a second A)."""
    store, *_ = two_approved
    promote(store, "run-a")
    promote(store, "run-a")
    assert rollback(store) is None
    assert resolve_alias(store, "production") is None


def test_rollback_after_a_repeated_promote_returns_to_the_previous_holder(two_approved):
    store, a, b = two_approved
    promote(store, "run-b")
    promote(store, "run-a")
    promote(store, "run-a")
    assert rollback(store).path == str(b)


def test_another_run_of_the_holding_candidate_is_a_no_op_too(two_approved):
    """A second gate run of the same candidate (same id, same weights) does not stack the same model twice."""
    store, a, _ = two_approved
    decided(store, "run-a2", a, minute=2)
    promote(store, "run-a")
    again = promote(store, "run-a2")
    assert again.already and again.run_id == "run-a"  # says which run put it there
    assert promotion_rows(store) == [("promote", "run-a")]


def test_a_repeated_promote_still_refuses_changed_weights(two_approved):
    store, a, _ = two_approved
    promote(store, "run-a")
    save_file({"w": np.zeros((4, 4), dtype=np.float32)}, str(a / "model.safetensors"))
    with pytest.raises(HarnessError, match="weights changed since run 'run-a' approved them"):
        promote(store, "run-a")


def test_cli_promote_of_the_holder_says_nothing_changed(two_approved):
    store, a, _ = two_approved
    runner = CliRunner()
    runner.invoke(app, ["promote", "run-a", "--db", str(store.path)])
    out = runner.invoke(app, ["promote", "run-a", "--db", str(store.path)])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"production already points at a ({a}), promoted by run run-a: nothing changed"
    assert promotion_rows(store) == [("promote", "run-a")]


def test_aliases_are_independent(two_approved):
    store, a, b = two_approved
    promote(store, "run-a", "production")
    promote(store, "run-b", "staging")
    assert resolve_alias(store, "production").run_id == "run-a"
    assert resolve_alias(store, "staging").run_id == "run-b"


def test_promote_refuses_a_rejected_run(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    decided(store, "run-x", fake_candidate(tmp_path / "x", 3), decision="REJECT")
    with pytest.raises(HarnessError, match="run 'run-x' was REJECT; only a PROMOTE decision"):
        promote(store, "run-x")


def test_promote_refuses_a_run_without_decision(two_approved):
    store, *_ = two_approved
    with pytest.raises(HarnessError, match="no decision recorded"):
        promote(store, "run-zzz")


def test_promote_refuses_changed_weights(two_approved):
    store, a, _ = two_approved
    save_file({"w": np.zeros((4, 4), dtype=np.float32)}, str(a / "model.safetensors"))
    with pytest.raises(HarnessError, match="weights changed since run 'run-a' approved them"):
        promote(store, "run-a")
    assert resolve_alias(store, "production") is None


def test_cli_promote_and_rollback(two_approved):
    store, a, b = two_approved
    runner = CliRunner()
    out = runner.invoke(app, ["promote", "run-a", "--db", str(store.path)])
    assert out.exit_code == 0 and f"production -> a ({a})" in out.output
    runner.invoke(app, ["promote", "run-b", "--db", str(store.path)])
    out = runner.invoke(app, ["rollback", "--db", str(store.path)])
    assert out.exit_code == 0 and f"production -> a ({a})" in out.output
    history = store.query("SELECT action, run_id, previous_run_id FROM promotions ORDER BY promoted_at, rowid")[1]
    assert history == [("promote", "run-a", None), ("promote", "run-b", "run-a"), ("rollback", "run-b", "run-a")]


# -- end to end: a real gate run of a trained LoRA candidate ---------------------------------------------------
def gate(cwd: Path, candidate: Path, task: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`pytest suites/test_task.py --candidate ...` on the task rules only, in a subprocess, as CI runs it
    (pytester is function-scoped only; the other suites have their own tests in tests/suites/)."""
    policy = cwd / "task_only.toml"
    policy.write_text(TASK_ONLY_POLICY, encoding="utf-8")
    cmd = [sys.executable, "-m", "pytest", str(SUITES / "test_task.py"), "--candidate", str(candidate),
           "--task-data", str(task), "--policy", str(policy), "--results-db", str(db), "-p", "no:cacheprovider",
           "-q", *extra]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def gated(lora_candidate, tmp_path_factory):
    """A copy of the LoRA candidate gated once (PROMOTE), with the plugin writing JUnit XML."""
    root = tmp_path_factory.mktemp("registry")
    candidate = root / "cand"
    shutil.copytree(lora_candidate, candidate)
    task = eval_set_answered_by(candidate, root / "eval.jsonl")
    db = root / "r.duckdb"
    junit = root / "gate.xml"
    result = gate(root, candidate, task, db, "--gate-junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = duckdb.connect(str(db), read_only=True).execute("SELECT id FROM runs").fetchone()[0]
    return {"db": db, "candidate": candidate, "run": run_id, "junit": junit}


@pytest.fixture
def db_copy(gated, tmp_path):
    """The gated database, copied so that a test's promotions stay its own."""
    db = tmp_path / "r.duckdb"
    shutil.copy(gated["db"], db)
    return db


def session_baseline(candidate: Path, db: Path, baseline: str | None) -> str:
    from harness.session import GateOptions, GateSession

    options = GateOptions(candidate=candidate, baseline=baseline, db=db, policy=SUITES / "gate.toml")
    return GateSession(options).baseline_ref


def test_promote_makes_production_the_baseline_and_rollback_undoes_it(gated, db_copy, lora_candidate):
    runner = CliRunner()
    base = session_baseline(lora_candidate, db_copy, "production")  # nobody holds production: the base model
    assert Path(base).name == "model"
    out = runner.invoke(app, ["promote", gated["run"], "--db", str(db_copy)])
    assert out.exit_code == 0, out.output
    for ref in ("production", None):  # explicit alias, and the default
        assert Path(session_baseline(lora_candidate, db_copy, ref)) == gated["candidate"].resolve()
    out = runner.invoke(app, ["rollback", "--db", str(db_copy)])
    assert out.exit_code == 0 and "production now has no holder" in out.output
    assert session_baseline(lora_candidate, db_copy, "production") == base


def test_unknown_alias_is_an_error(gated, db_copy):
    with pytest.raises(HarnessError, match="--baseline staging: neither a directory nor a registry alias"):
        session_baseline(gated["candidate"], db_copy, "staging")


def test_gate_junit_option_writes_one_case_per_rule(gated):
    import xml.etree.ElementTree as ET

    suite = ET.parse(gated["junit"]).getroot().find("testsuite")
    names = {c.get("name") for c in suite.findall("testcase")}
    assert names == {"task accuracy floor", "task accuracy beats baseline"}
    assert suite.get("failures") == "0"


def test_promote_refuses_a_tampered_adapter(gated, db_copy):
    weights = gated["candidate"] / "adapter" / "adapter_model.safetensors"
    original = weights.read_bytes()
    try:
        from safetensors.numpy import load_file

        tensors = load_file(str(weights))
        name = sorted(tensors)[0]
        tensors[name] = tensors[name] + np.float32(1e-3)
        save_file(tensors, str(weights))
        result = CliRunner().invoke(app, ["promote", gated["run"], "--db", str(db_copy)])
        assert result.exit_code != 0
        assert "weights changed since run" in str(result.exception)
    finally:
        weights.write_bytes(original)
    assert Store(db_copy).query("SELECT count(*) FROM promotions")[1] == [(0,)]


def test_report_of_a_real_run(gated, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    html = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", gated["run"], "--db", str(gated["db"]), "--html", str(html),
                                      "--junit", str(tmp_path / "j.xml")])
    assert result.exit_code == 0, result.output
    assert "## tunegate gate: **PROMOTE**" in result.output
    assert "| task accuracy beats baseline | superiority | ✅ pass |" in result.output
    assert summary.read_text().startswith("## tunegate gate: **PROMOTE**")
    assert "data:image/svg+xml;base64," in html.read_text()


def test_cli_history_filters(gated):
    runner = CliRunner()
    out = runner.invoke(app, ["history", "--db", str(gated["db"]), "--metric", "task.normalised_match", "--last", "4"])
    assert out.exit_code == 0 and "candidate" in out.output and "baseline" in out.output
    out = runner.invoke(app, ["history", "--db", str(gated["db"]), "--candidate", "nobody"])
    assert "no matching runs" in out.output
