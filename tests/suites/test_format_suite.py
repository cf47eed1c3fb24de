"""The format suite fails a model trained with a different chat template than production."""

from __future__ import annotations

import duckdb

from .conftest import gate, only_rules


def test_model_with_other_template_fails_format(pytester, other_template_model, tiny_base, tmp_path):
    db = tmp_path / "r.duckdb"
    policy = only_rules(tmp_path / "f.toml", "format")
    result = gate(pytester, "test_format.py", other_template_model, db, "--baseline", str(tiny_base),
                  "--policy", str(policy))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*"])
    con = duckdb.connect(str(db), read_only=True)
    verdicts = dict(con.execute("SELECT rule, status FROM rule_verdicts").fetchall())
    assert verdicts["chat template is the production template"] == "fail"
    assert verdicts["training rendering extends inference rendering"] == "fail"


def test_candidate_trained_with_production_template_passes_template_rules(pytester, lora_candidate, tmp_path):
    db = tmp_path / "r.duckdb"
    policy = only_rules(tmp_path / "f.toml", "format")
    gate(pytester, "test_format.py", lora_candidate, db, "--policy", str(policy), "-k", "template or rendering")
    con = duckdb.connect(str(db), read_only=True)
    verdicts = dict(con.execute("SELECT rule, status FROM rule_verdicts").fetchall())
    assert verdicts["chat template is the production template"] == "pass"
    assert verdicts["training rendering extends inference rendering"] == "pass"
