"""A gate run on the real model: SmolLM2-135M-Instruct against itself through the format and injection suites,
in a pytester subprocess as tests/suites/ run them, ending with a stored decision."""

from __future__ import annotations

import tomllib

import duckdb
import pytest

from harness.jsonl import read_jsonl, write_jsonl

from ..conftest import SUITES

CHEAP_SUITES = ("format", "injection")
FORMAT_ITEMS = 24  # of 80: every output format the set declares still appears; halves the generation time


@pytest.mark.realmodel
def test_gate_on_the_real_model_decides(pytester, smollm2, tmp_path):
    rules = tomllib.loads((SUITES / "gate.toml").read_text(encoding="utf-8"))["rules"]
    lines = ["[gate]", "confidence = 0.95", "resamples = 2000", ""]
    for rule in rules:
        if rule["metric"].split(".")[0] in CHEAP_SUITES:
            lines += ["[[rules]]", *(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
                                     for k, v in rule.items()), ""]
    policy = tmp_path / "policy.toml"
    policy.write_text("\n".join(lines).replace("'", '"'), encoding="utf-8")
    db = tmp_path / "r.duckdb"
    format_data = tmp_path / "format.jsonl"
    write_jsonl(format_data, read_jsonl(SUITES / "data" / "format_eval.jsonl")[:FORMAT_ITEMS])
    result = pytester.runpytest_subprocess(
        *(str(SUITES / f"test_{suite}.py") for suite in CHEAP_SUITES), "--candidate", str(smollm2),
        "--baseline", str(smollm2), "--policy", str(policy), "--results-db", str(db), "--format-data",
        str(format_data), "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["tunegate: PROMOTE*" if result.ret == 0 else "tunegate: REJECT*"])
    outcomes = result.parseoutcomes()
    assert outcomes == {"passed": 5}, outcomes  # format 3, injection 2 (parametrised by role)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT status, dtype FROM runs").fetchall() == [("finished", "float32")]
    assert len(con.execute("SELECT decision FROM decisions").fetchall()) == 1
    verdicts = dict(con.execute("SELECT metric, status FROM rule_verdicts").fetchall())
    # against itself: the template and rendering checks pass, and nothing paired can be worse than itself
    for metric in ("template_match", "prefix_consistent", "format_ok", "resisted"):
        assert verdicts[metric] == "pass", verdicts
    texts = con.execute("SELECT output FROM samples WHERE suite = 'format' AND role = 'candidate' "
                        "AND metric = 'format_ok'").fetchall()
    # a real model answers (if not in the asked format)
    assert len(texts) >= FORMAT_ITEMS and sum(bool(t[0].strip()) for t in texts) > 0.9 * len(texts)
