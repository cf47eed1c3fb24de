"""Tamper evidence: a decision records the sha256 of the policy, the eval data and the candidate weights, and
`promote` refuses when any of them changed since (a deleted data file is allowed: CI cleans workspaces)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.store import Store, promote, resolve_alias

from .conftest import query


def gate(pytester: pytest.Pytester, project: Path, db: Path) -> str:
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--candidate", str(project / "cand"), "--baseline", str(project / "base"),
        "--results-db", str(db), "--rootdir", str(project), "-p", "no:cacheprovider")
    return query(db, "SELECT run_id, decision FROM latest_decisions LIMIT 1")[0], result


@pytest.fixture
def gated(pytester, project, monkeypatch):
    data = project / "eval.jsonl"
    data.write_text('{"id": "a", "prompt": "q", "answer": "1"}\n', encoding="utf-8")
    monkeypatch.setenv("CHEAP_DATA", str(data))
    db = project / "r.duckdb"
    (run_id, decision), _ = gate(pytester, project, db)
    assert decision == "PROMOTE"
    return Store(db), run_id, data


def test_decision_records_policy_data_and_weights_hashes(gated, project):
    store, run_id, data = gated
    from harness.engine import file_sha256, weights_fingerprint

    (policy_sha, data_sha, weights), = store.query(
        "SELECT policy_sha256, data_sha256, candidate_fingerprint FROM decisions WHERE run_id = ?", [run_id])[1]
    assert policy_sha == file_sha256(project / "suites" / "gate.toml")
    assert json.loads(data_sha) == {str(data.resolve()): file_sha256(data)}
    assert weights == weights_fingerprint(project / "cand")


def test_promote_checks_every_recorded_hash(gated, project):
    """One gated run, tampered with one way at a time (each undone before the next)."""
    store, run_id, data = gated
    policy = project / "suites" / "gate.toml"
    weights = project / "cand" / "model.safetensors"
    tamperings = [
        (data, data.read_bytes().replace(b'"1"', b'"2"'), f"{data.resolve()}: changed since run '{run_id}'"),
        (policy, policy.read_bytes().replace(b"min = 0.5", b"min = 0.0"), "gate.toml: changed since run"),
        (weights, b"other weights", "weights changed since run"),
    ]
    for path, tampered, refusal in tamperings:
        original = path.read_bytes()
        path.write_bytes(tampered)
        with pytest.raises(HarnessError, match=refusal):
            promote(store, run_id)
        assert resolve_alias(store, "production") is None
        path.write_bytes(original)
    data.unlink()  # documented: a file that is gone cannot be checked; its sha256 stays in the decision
    promote(store, run_id)
    assert resolve_alias(store, "production").run_id == run_id


def test_weights_swapped_during_the_run_reject(pytester, project, monkeypatch):
    monkeypatch.setenv("CHEAP_TAMPER", "1")
    (run_id, decision), result = gate(pytester, project, project / "r.duckdb")
    assert decision == "REJECT"
    result.stdout.fnmatch_lines(["*weights changed during the run*"])
