"""The gate's contract with whoever runs it: suites without a usable --candidate are a usage error (never
"16 skipped", exit 0), and a gate run's output ends on its decision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import query

USAGE_ERROR = 4


def gate(pytester: pytest.Pytester, project: Path, *extra: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(str(project / "suites"), "--rootdir", str(project), "-p", "no:cacheprovider",
                                        *extra)


def candidate_args(project: Path, db: Path) -> list[str]:
    return ["--candidate", str(project / "cand"), "--baseline", str(project / "base"), "--results-db", str(db)]


def last_line(result: pytest.RunResult) -> str:
    return [line for line in result.outlines if line.strip()][-1]


@pytest.mark.parametrize("candidate", [None, "", "   "], ids=["missing", "empty", "whitespace"])
def test_suites_without_a_usable_candidate_are_a_usage_error(pytester, project, candidate):
    db = project / "r.duckdb"
    extra = ["--results-db", str(db)] + ([] if candidate is None else ["--candidate", candidate])
    result = gate(pytester, project, *extra)
    assert result.ret == USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines(["*tunegate:*--candidate*"])
    assert "--candidate DIR" in result.stderr.str()  # names the fix
    assert not re.search(r"\d+ (passed|skipped)", result.stdout.str())  # nothing ran, nothing was skipped
    assert not db.exists()  # no run was recorded


def test_the_shipped_suites_without_a_candidate_are_a_usage_error(pytester):
    from tests.conftest import SUITES

    result = pytester.runpytest_inprocess(str(SUITES), "-p", "no:cacheprovider")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["*gate suite test(s) collected*no --candidate given*pass --candidate DIR*"])


def test_an_unmarked_test_that_uses_the_gate_fixture_needs_a_candidate_too(pytester, project):
    (project / "suites" / "test_cheap.py").write_text("def test_unmarked(tunegate):\n    pass\n")
    result = gate(pytester, project)
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["*1 gate suite test(s) collected (suites/test_cheap.py::test_unmarked)*"])


def test_listing_the_suites_needs_no_candidate(pytester, project):
    """--collect-only runs nothing, so nothing is gated: it stays allowed without a candidate."""
    result = gate(pytester, project, "--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*3 tests collected*"])


def test_an_empty_candidate_is_refused_even_when_only_listing(pytester, project):
    result = gate(pytester, project, "--collect-only", "--candidate", "")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["*--candidate is empty*"])


def test_ordinary_tests_run_without_a_candidate(pytester):
    """The plugin is installed everywhere: tests that are not gate suites are none of its business."""
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", ["--help", "--markers", "--fixtures", "--fixtures-per-test"])
@pytest.mark.parametrize("with_candidate", [True, False], ids=["candidate", "no-candidate"])
def test_listing_modes_start_no_gate_run(pytester, project, mode, with_candidate):
    """pytest exits 0 from these whatever the session says, so they must not record a run (or a REJECT)."""
    db = project / "r.duckdb"
    result = gate(pytester, project, mode, *(candidate_args(project, db) if with_candidate else []))
    assert result.ret == 0
    assert not db.exists()
    assert not re.search(r"^tunegate: (PROMOTE|REJECT|NO DECISION)", result.stdout.str(), re.MULTILINE)


# -- the decision is the last line ------------------------------------------------------------------------------
def test_a_promote_run_ends_on_the_decision_after_pytests_summary(pytester, project):
    db = project / "r.duckdb"
    result = gate(pytester, project, *candidate_args(project, db))
    assert result.ret == 0
    run_id = query(db, "SELECT id FROM runs")[0][0]
    assert last_line(result) == f"tunegate: PROMOTE (1 required rule passed) run {run_id}"
    lines = [line for line in result.outlines if line.strip()]
    assert re.search(r"\b3 passed\b", lines[-2]), lines[-2]  # pytest's own summary comes just before


def test_a_reject_run_ends_on_the_decision_with_what_blocked_it(pytester, project):
    """Every test passes (pytest's line is green), yet the gate rejects: the last line must say so."""
    (project / "suites" / "gate.toml").write_text(
        (project / "suites" / "gate.toml").read_text().replace("min = 0.5", "min = 1.5")
        + '\n[[rules]]\nname = "ghost"\nmetric = "cheap.nothing"\nkind = "floor"\nmin = 0.1\n')
    db = project / "r.duckdb"
    result = gate(pytester, project, *candidate_args(project, db))
    assert result.ret == 1
    run_id = query(db, "SELECT id FROM runs")[0][0]
    result.stdout.fnmatch_lines(["*3 passed*", f"tunegate: REJECT (1 rule failed, 1 undecided) run {run_id}"])
    assert last_line(result) == f"tunegate: REJECT (1 rule failed, 1 undecided) run {run_id}"


def test_a_failing_suite_counts_as_a_session_fault_on_the_last_line(pytester, project, monkeypatch):
    monkeypatch.setenv("CHEAP_FAIL", "2")
    result = gate(pytester, project, *candidate_args(project, project / "r.duckdb"))
    assert result.ret == 1
    assert re.fullmatch(r"tunegate: REJECT \(0 rules failed, \d+ undecided(, \d+ session faults?)?\) run run-\S+",
                        last_line(result)), last_line(result)


@pytest.mark.parametrize(("policy_min", "colour"), [("0.5", "\x1b[32m"), ("1.5", "\x1b[31m")],
                         ids=["promote-green", "reject-red"])
def test_the_decision_line_is_coloured_when_colour_is_on(pytester, project, policy_min, colour):
    policy = project / "suites" / "gate.toml"
    policy.write_text(policy.read_text().replace("min = 0.5", f"min = {policy_min}"))
    result = gate(pytester, project, "--color=yes", *candidate_args(project, project / "r.duckdb"))
    line = last_line(result)
    assert colour in line and "tunegate: " in line
    plain = gate(pytester, project, "--color=no", *candidate_args(project, project / "r2.duckdb"))
    assert "\x1b[" not in last_line(plain)


def test_a_gate_run_never_ends_with_exit_0_and_no_decision(pytester, project):
    """Whatever is selected, a run that gated something decided, and only PROMOTE exits 0."""
    for n, extra in enumerate([[], ["-k", "nothing_matches"], ["-x"], ["--setup-plan"], ["--collect-only"]]):
        db = project / f"r{n}.duckdb"
        result = gate(pytester, project, *candidate_args(project, db), *extra)
        decisions = query(db, "SELECT decision FROM decisions")
        assert len(decisions) == 1, (extra, decisions)
        assert (result.ret == 0) == (decisions[0][0] == "PROMOTE"), (extra, result.ret, decisions)
        assert last_line(result).startswith(f"tunegate: {decisions[0][0]} ("), extra
