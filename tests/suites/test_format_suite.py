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
    gate(pytester, "test_format.py", lora_candidate, db, "--policy", str(policy))
    con = duckdb.connect(str(db), read_only=True)
    verdicts = dict(con.execute("SELECT rule, status FROM rule_verdicts").fetchall())
    assert verdicts["chat template is the production template"] == "pass"
    assert verdicts["training rendering extends inference rendering"] == "pass"


def test_selecting_part_of_the_format_suite_decides_none_of_its_rules(pytester, lora_candidate, tmp_path):
    """-k inside a suite is a partial run: even the rules whose tests ran stay undecided, so nothing promotes."""
    db = tmp_path / "r.duckdb"
    policy = only_rules(tmp_path / "f.toml", "format")
    result = gate(pytester, "test_format.py", lora_candidate, db, "--policy", str(policy), "-k", "template")
    assert result.ret == 1
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT decision FROM decisions").fetchall() == [("REJECT",)]
    assert "chat template is the production template" not in dict(
        con.execute("SELECT rule, status FROM rule_verdicts WHERE status = 'pass'").fetchall())
