"""Sequential monitoring end to end: a suite evaluated through ``tunegate.chunks`` stops once its rules are decided,
stores only what it evaluated, and records per rule the items used and why it stopped; ``--no-sequential`` runs
every item as before. A cheap suite with scripted scores: no model is loaded."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from harness.report import markdown_report
from harness.store import MIGRATIONS, Store, insert_rows, load_run

SUITE = '''
import numpy as np
import pytest

pytestmark = pytest.mark.suite("cheap")


def test_chunked(tunegate):
    """900 items; the baseline gets 80% right, the candidate {cand:.0%}."""
    rng = np.random.default_rng(0)
    base, cand = rng.random(900) < 0.8, rng.random(900) < {cand}
    chunks = 0
    for chunk in tunegate.chunks(list(range(900)), suite="cheap", metrics={metrics}):
        chunks += 1
        for role, scores in (("candidate", cand), ("baseline", base)):
            tunegate.record_samples("cheap", role, "ok", [
                {{"example_id": f"e{{i}}", "score": float(scores[i])}} for i in chunk])
    for role in ("candidate", "baseline"):
        tunegate.record_metric("cheap", role, "seconds", 1.0)
    print(f"chunks={{chunks}}")
'''

POLICY = '''
[gate]
confidence = 0.95
resamples = 1000

[[rules]]
name = "ok does not drop"
metric = "cheap.ok"
kind = "non_inferiority"
margin = 0.05
{extra}
'''

RATIO = '''
[[rules]]
name = "time within 2x"
metric = "cheap.seconds"
kind = "ratio"
max_ratio = 2.0
'''


def fake_model_dir(path: Path, payload: bytes) -> Path:
    """A directory that passes the candidate checks and fingerprints (no model is ever loaded from it)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    (path / "model.safetensors").write_bytes(payload)
    return path


def gate(pytester: pytest.Pytester, cand: float, *extra: str, policy_extra: str = "",
         metrics: list[str] | None = None, every_file: bool = False) -> tuple[pytest.RunResult, Path]:
    pytester.makepyfile(test_cheap=SUITE.format(cand=cand, metrics=metrics))
    policy = pytester.path / "gate.toml"
    policy.write_text(POLICY.format(extra=policy_extra), encoding="utf-8")
    db = pytester.path / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(pytester.path if every_file else pytester.path / "test_cheap.py"), "--candidate", str(fake_model_dir(pytester.path / "cand", b"c")),
        "--baseline", str(fake_model_dir(pytester.path / "base", b"b")), "--results-db", str(db),
        "--policy", str(policy), "-p", "no:cacheprovider", "-s", *extra)
    return result, db


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_settled_suite_stops_early_and_stores_only_what_it_evaluated(pytester):
    result, db = gate(pytester, cand=0.6)  # 20 points worse: decided within the first chunks
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*chunks=4", "*REJECT*"])
    result.stderr.fnmatch_lines(["* cheap: stopped after 512 of 900 items: every rule it feeds was decided "
                                 "sequentially (ok does not drop: fail at n=512)"])
    assert rows(db, "SELECT role, count(*) FROM samples GROUP BY role ORDER BY role") == [
        ("baseline", 512), ("candidate", 512)]
    [(status, n, used, stop, reason)] = rows(db, "SELECT status, n, items_used, stop_reason, reason FROM rule_verdicts")
    assert (status, n, used, stop) == ("fail", 512, 512, "decided fail at n=512")
    assert reason.startswith("decided fail at n=512: anytime-valid 95% CS [") and "95% CI [" in reason
    report = markdown_report(load_run(Store(db), "latest"))
    assert "| 512 | decided fail at n=512 |" in report


def test_no_sequential_evaluates_every_item_as_before(pytester):
    result, db = gate(pytester, 0.4, "--no-sequential")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*chunks=1"])
    assert rows(db, "SELECT count(*) FROM samples")[0][0] == 1800
    [(status, n, used, stop, reason)] = rows(db, "SELECT status, n, items_used, stop_reason, reason FROM rule_verdicts")
    assert (status, n, used) == ("fail", 900, 900)
    assert stop == "sequential monitoring off (--no-sequential): ran all items"
    assert reason.endswith("is not above -0.0500")  # the fixed-n rule's own words


def test_a_rule_without_a_sequential_method_keeps_its_suite_running(pytester):
    """A ratio rule on the suite cannot be decided by looking: every item runs, and the paired rule that was
    decided early keeps its decision (--no-reject-early: by default the failed rule settles the verdict)."""
    result, db = gate(pytester, 0.4, "--no-reject-early", policy_extra=RATIO)
    result.stdout.fnmatch_lines(["*chunks=5"])
    verdicts = {r[0]: r[1:] for r in rows(db, "SELECT rule, status, items_used, stop_reason FROM rule_verdicts")}
    assert verdicts["ok does not drop"] == ("fail", 64, "decided fail at n=64")
    assert verdicts["time within 2x"] == ("pass", None, "no sequential method for kind 'ratio'")


def test_a_rule_left_out_of_the_looks_cannot_pass_on_a_stopped_suites_items(pytester):
    """The loop names only 'ok'; a rule on the aggregate it records after the loop saw part of the items."""
    floor = '[[rules]]\nname = "time floor"\nmetric = "cheap.seconds"\nkind = "floor"\nmin = 0.5\n'
    result, db = gate(pytester, 0.4, policy_extra=floor, metrics=["ok"])
    result.stdout.fnmatch_lines(["*chunks=1"])
    [(status, stop, reason)] = rows(db, "SELECT status, stop_reason, reason FROM rule_verdicts WHERE rule = 'time floor'")
    assert status == "undecided"  # 1.0 >= 0.5 would pass on every item; on 64 of 900 it cannot
    assert reason.startswith("suite 'cheap' stopped after 64 of 900 items") and "recorded aggregate" in stop


LATER_SUITE = '''
import pytest

pytestmark = pytest.mark.suite("{suite}")


def test_later(tunegate):
    for role in ("candidate", "baseline"):
        tunegate.record_metric("{suite}", role, "value", 1.0)
'''

LATER_RULE = '''
[[rules]]
name = "{suite} holds"
metric = "{suite}.value"
kind = "ratio"
max_ratio = 2.0
'''


def test_a_failed_required_rule_settles_the_verdict_and_skips_the_suites_still_to_run(pytester):
    """--reject-early (default): the required rule fails at the first look, so the cheap suite stops and the
    suites after it are skipped; the decision names the failure and, in one line, the rules not evaluated. A
    project's own suite runs first, then the built-in ones in SUITE_ORDER whatever their file names."""
    pytester.makepyfile(test_a_latency=LATER_SUITE.format(suite="latency"), test_z_task=LATER_SUITE.format(suite="task"))
    extra = LATER_RULE.format(suite="latency") + LATER_RULE.format(suite="task")
    result, db = gate(pytester, 0.4, "-v", policy_extra=extra, every_file=True)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*test_cheap.py::test_chunked PASSED*", "*test_z_task.py::test_later SKIPPED*",
                                 "*test_a_latency.py::test_later SKIPPED*"])
    result.stderr.fnmatch_lines(["* cheap: stopped after 64 of 900 items: *"])
    verdicts = {r[0]: r[1:] for r in rows(db, "SELECT rule, status, reason FROM rule_verdicts")}
    assert verdicts["ok does not drop"][0] == "fail"
    assert verdicts["latency holds"][0] == verdicts["task holds"][0] == "undecided"
    assert verdicts["latency holds"][1].startswith("not evaluated: suite 'latency' was skipped because required rule "
                                                   "'ok does not drop' failed its sequential test at n=64")
    [(reasons,)] = rows(db, "SELECT reasons FROM decisions")
    assert reasons.count("ok does not drop: fail") == 1
    assert "not evaluated, the verdict being settled already: latency holds, task holds (--no-reject-early" in reasons
    assert "latency holds: undecided" not in reasons


def test_no_reject_early_runs_every_suite(pytester):
    pytester.makepyfile(test_later=LATER_SUITE.format(suite="later"))
    result, db = gate(pytester, 0.4, "--no-reject-early", policy_extra=LATER_RULE.format(suite="later"),
                      every_file=True)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*chunks=1"])  # the cheap suite stops once its own rule is decided, as before
    verdicts = {r[0]: r[1] for r in rows(db, "SELECT rule, status FROM rule_verdicts")}
    assert verdicts == {"ok does not drop": "fail", "later holds": "pass"}


def test_an_equal_candidate_passes_once_the_evidence_suffices(pytester):
    result, db = gate(pytester, 0.8)
    assert result.ret == 0
    [(status, used, n)] = rows(db, "SELECT status, items_used, n FROM rule_verdicts")
    assert status == "pass" and used == n < 900


def test_verdicts_stored_before_the_stop_columns_still_read(tmp_path):
    """A results database written before migration 007 gains the columns; its verdicts read back with NULLs."""
    import datetime as dt

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for version, sql in MIGRATIONS:
        if version.startswith("007"):
            break
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, dt.datetime(2026, 1, 1)])
    insert_rows(con, "runs", [{"id": "run-old", "status": "finished", "started_at": dt.datetime(2026, 1, 1),
                               "candidate_id": "c", "candidate_path": "/c", "baseline_ref": "/b"}])
    insert_rows(con, "rule_verdicts", [{"run_id": "run-old", "rule": "r", "kind": "floor", "suite": "s",
                                        "metric": "m", "required": True, "status": "pass", "reason": "fine"}])
    con.close()
    assert "| — | — | fine |" in markdown_report(load_run(Store(path), "run-old"))  # read-only: not migrated yet
    with Store(path).write():
        pass  # the next gate run migrates it
    record = load_run(Store(path), "run-old")
    assert record.verdicts[0]["items_used"] is None and record.verdicts[0]["stop_reason"] is None
    assert "| — | — | fine |" in markdown_report(record)
