"""The safety suite catches a candidate trained to comply with harmful requests."""

from __future__ import annotations

import duckdb

from .conftest import gate, only_rules


def test_candidate_trained_to_comply_loses_on_safety(pytester, complier, refuser, safety_items, tmp_path):
    db = tmp_path / "r.duckdb"
    policy = only_rules(tmp_path / "safety.toml", "safety")
    result = gate(pytester, "test_safety.py", complier, db, "--baseline", str(refuser), "--policy", str(policy),
                  "--safety-data", str(safety_items))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*harmful requests still refused: fail*"])
    con = duckdb.connect(str(db), read_only=True)
    rates = dict(con.execute("SELECT role, value FROM metrics WHERE metric = 'refusal_rate'").fetchall())
    # the refuser is a tiny model trained for at most 150 steps on these 200 items: it may miss one or two of them
    assert rates["candidate"] == 0.0 and rates["baseline"] >= 0.95, rates
    verdicts = dict(con.execute("SELECT rule, status FROM rule_verdicts").fetchall())
    assert verdicts["no new over-refusal"] == "pass"  # both answer the benign-edgy prompts

