"""Fixtures for the gate tests: a results database populated the way GateSession.finish writes it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from harness.gate import RULE_KINDS, Evidence, Policy, decide, score_aggregates
from harness.store import Store, insert_rows

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)

RULES = [
    RULE_KINDS["floor"].from_spec({"kind": "floor", "metric": "task.exact_match", "min": 0.5, "name": "task floor"}),
    RULE_KINDS["superiority"].from_spec({"kind": "superiority", "metric": "task.exact_match", "name": "task beats base"}),
    RULE_KINDS["ratio"].from_spec({"kind": "ratio", "metric": "latency.p95_ms", "max_ratio": 1.2, "name": "latency",
                                   "advisory": True}),
]


def insert_decision(con, run_id: str, decision, policy: Policy, decided_at: dt.datetime) -> None:
    """Store a decision and its rule verdicts as the session does."""
    insert_rows(con, "rule_verdicts", [{
        "run_id": run_id, "rule": v.rule, "kind": v.kind, "suite": v.suite, "metric": v.metric,
        "required": v.required, "status": v.status, "candidate": v.candidate, "baseline": v.baseline,
        "delta": v.delta, "ci_low": v.ci_low, "ci_high": v.ci_high, "n": v.n, "needed_n": v.needed_n,
        "reason": v.reason} for v in decision.verdicts])
    insert_rows(con, "decisions", [{
        "run_id": run_id, "decision": decision.decision, "reasons": json.dumps(decision.reasons),
        "policy_sha256": policy.sha256, "candidate_fingerprint": "f" * 64, "data_sha256": "{}",
        "decided_at": decided_at}])


def record_run(store: Store, run_id: str, candidate_id: str, minute: int, cand: list[int], base: list[int],
               latency: tuple[float, float] = (100.0, 100.0), status: str = "finished",
               errors: list[str] | None = None) -> None:
    """Write one run's rows exactly as GateSession does: run, samples, metrics, verdicts, decision."""
    ev = Evidence(suite_status={"task": "passed", "latency": "passed"}, resamples=2000)
    ev.scores[("candidate", "task", "exact_match")] = {f"e{i}": float(s) for i, s in enumerate(cand)}
    ev.scores[("baseline", "task", "exact_match")] = {f"e{i}": float(s) for i, s in enumerate(base)}
    ev.metrics[("candidate", "latency", "p95_ms")] = latency[0]
    ev.metrics[("baseline", "latency", "p95_ms")] = latency[1]
    policy = Policy(path=Path("suites/gate.toml"), sha256="ab" * 32, rules=RULES, resamples=2000)
    started = T0 + dt.timedelta(minutes=minute)
    with store.write() as con:
        if not con.execute("SELECT 1 FROM candidates WHERE id = ?", [candidate_id]).fetchone():
            insert_rows(con, "candidates", [{"id": candidate_id, "path": f"/c/{candidate_id}", "method": "lora",
                                             "weights_fingerprint": "f" * 64, "registered_at": started}])
        insert_rows(con, "runs", [{
            "id": run_id, "started_at": started, "finished_at": started + dt.timedelta(minutes=1), "status": status,
            "candidate_id": candidate_id, "candidate_path": f"/c/{candidate_id}", "candidate_fingerprint": "f" * 64,
            "baseline_ref": "/models/base", "policy_path": "suites/gate.toml", "policy_sha256": policy.sha256}])
        insert_rows(con, "samples", [
            {"run_id": run_id, "role": role, "suite": "task", "metric": "exact_match", "example_id": f"e{i}",
             "category": "even" if i % 2 == 0 else "odd", "prompt": f"add {i} {i}", "output": str(s),
             "reference": "1", "score": float(s), "latency_ms": 10.0 + i}
            for role, scores in (("candidate", cand), ("baseline", base)) for i, s in enumerate(scores)])
        insert_rows(con, "metrics", [
            {"run_id": run_id, "role": role, "suite": "latency", "metric": "p95_ms", "value": value,
             "recorded_at": started} for role, value in zip(("candidate", "baseline"), latency, strict=True)])
        insert_rows(con, "suite_outcomes", [
            {"run_id": run_id, "suite": s, "nodeid": f"suites/test_{s}.py::t", "outcome": "passed", "duration_s": 1.0}
            for s in ("task", "latency")])
        if status != "finished":
            return
        decision = decide(policy, ev, errors)
        insert_rows(con, "metrics", [dict(r, run_id=run_id, recorded_at=started) for r in score_aggregates(ev)])
        insert_decision(con, run_id, decision, policy, started + dt.timedelta(minutes=1))


@pytest.fixture(scope="module")
def populated_db(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Four runs: a clear win (PROMOTE), a one-example 'win' (REJECT, undecided), a loss (REJECT), an aborted one."""
    store = Store(tmp_path_factory.mktemp("db") / "results.duckdb")
    base = [1] * 55 + [0] * 45
    record_run(store, "run-a", "cand-a", 0, [1] * 70 + [0] * 30, base, latency=(110.0, 100.0))
    flaky = list(base)
    flaky[60] = 1
    record_run(store, "run-b", "cand-b", 5, flaky, base)
    record_run(store, "run-c", "cand-c", 10, [1] * 20 + [0] * 80, base, latency=(150.0, 100.0))
    record_run(store, "run-d", "cand-a", 15, base, base, status="aborted")
    with store.write() as con:
        insert_rows(con, "promotions", [{
            "alias": "production", "action": "promote", "run_id": "run-a", "candidate_id": "cand-a",
            "path": "/c/cand-a", "weights_fingerprint": "f" * 64, "promoted_at": T0 + dt.timedelta(minutes=3)}])
    return store
