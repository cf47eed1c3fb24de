"""Fail closed, proven: every way a gate run can go wrong ends in REJECT (or an aborted run), never PROMOTE."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHEAP_SUITE, fake_model_dir, query, run_gate, write_project

NOT_PROMOTED = "SELECT count(*) FROM decisions WHERE decision = 'PROMOTE'"


def inprocess(pytester: pytest.Pytester, project: Path, db: Path, *extra: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        str(project / "suites"), "--candidate", str(project / "cand"), "--baseline", str(project / "base"),
        "--results-db", str(db), "--rootdir", str(project), *extra,
    )


def assert_rejected(db: Path) -> None:
    assert query(db, NOT_PROMOTED) == [(0,)]
    assert query(db, "SELECT count(*) FROM decisions WHERE decision = 'REJECT'") == [(1,)]


def test_control_the_cheap_gate_promotes(pytester, project):
    """The control: the same project unharmed does promote, so every REJECT below is caused by the fault."""
    db = project / "r.duckdb"
    result = inprocess(pytester, project, db, "-p", "no:cacheprovider")
    assert result.ret == 0
    assert query(db, "SELECT decision FROM decisions") == [("PROMOTE",)]


def test_failing_suite_test_rejects(pytester, project, monkeypatch):
    monkeypatch.setenv("CHEAP_FAIL", "2")  # m0 (the rule's metric) is fine; another test of the suite fails
    db = project / "r.duckdb"
    result = inprocess(pytester, project, db, "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*suite 'cheap' failed*"])
    assert_rejected(db)


def test_suite_file_that_raises_on_import_rejects(pytester, project):
    (project / "suites" / "test_broken.py").write_text(
        "import pytest\npytestmark = pytest.mark.suite('cheap')\nraise RuntimeError('suite file is broken')\n")
    db = project / "r.duckdb"
    result = inprocess(pytester, project, db, "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*"])
    assert_rejected(db)


def test_fixture_error_rejects(pytester, project):
    (project / "suites" / "test_cheap.py").write_text(CHEAP_SUITE.replace(
        "def test_cheap(tunegate, i):", "def test_cheap(tunegate, i, broken):") +
        "\n@pytest.fixture\ndef broken():\n    raise OSError('disk gone')\n")
    db = project / "r.duckdb"
    result = inprocess(pytester, project, db, "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*", "*suite 'cheap' error*"])
    assert_rejected(db)


@pytest.mark.parametrize("selection", [["-k", "not cheap"], ["-k", "not test_cheap[2]"], ["-m", "not suite"]])
def test_deselected_tests_reject(pytester, project, selection):
    """Deselecting a whole suite, or only part of it (the rule's own test still runs), blocks promotion."""
    db = project / "r.duckdb"
    result = inprocess(pytester, project, db, "-p", "no:cacheprovider", *selection)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*", "*did not run completely*"])
    assert_rejected(db)
    assert query(db, "SELECT count(*) FROM suite_outcomes WHERE outcome = 'deselected'")[0][0] >= 1


def test_last_failed_partial_rerun_rejects(pytester, project, monkeypatch):
    """`--lf` reruns only the failed test: even though it now passes, the suite's evidence is partial."""
    db = project / "r.duckdb"
    monkeypatch.setenv("CHEAP_FAIL", "0")
    first = inprocess(pytester, project, db)
    assert first.ret == 1
    monkeypatch.delenv("CHEAP_FAIL")
    rerun = inprocess(pytester, project, db, "--lf")
    rerun.stdout.fnmatch_lines(["*REJECT*", "*--lf reruns only part of the suites*", "*1 passed*"])
    assert rerun.ret != 0
    assert query(db, NOT_PROMOTED) == [(0,)]
    assert query(db, "SELECT count(*) FROM decisions WHERE decision = 'REJECT'") == [(2,)]


def test_rule_on_missing_metric_rejects(pytester, tmp_path):
    write_project(tmp_path, rules_extra='[[rules]]\nname = "ghost"\nmetric = "cheap.no_such_metric"\nkind = "floor"\nmin = 0.1\n')
    fake_model_dir(tmp_path / "cand")
    fake_model_dir(tmp_path / "base", b"other")
    db = tmp_path / "r.duckdb"
    result = inprocess(pytester, tmp_path, db, "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*ghost*"])
    assert_rejected(db)
    assert query(db, "SELECT status FROM rule_verdicts WHERE rule = 'ghost'") != [("pass",)]


def test_empty_eval_set_rejects(pytester, project):
    """The real task suite with an empty eval file: nothing can be decided, so nothing is promoted."""
    from tests.conftest import SUITES

    empty = project / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    db = project / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(SUITES), "--candidate", str(project / "cand"), "--baseline", str(project / "base"),
        "--results-db", str(db), "--task-data", str(empty), "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"*{empty}: eval set is empty*", "*REJECT*"])
    assert_rejected(db)


def test_truncated_candidate_weights_reject(pytester, tiny_base, tmp_path):
    """A candidate whose safetensors file is truncated crashes when loaded for generation: REJECT."""
    import shutil

    cand = tmp_path / "cand"
    shutil.copytree(tiny_base, cand)
    weights = cand / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    write_project(tmp_path, suite=(
        "import pytest\npytestmark = pytest.mark.suite('cheap')\n\n"
        "def test_generate(tunegate, candidate):\n"
        "    tunegate.record_samples('cheap', 'candidate', 'm0', [{'example_id': 'a', 'score': 1.0}])\n"))
    fake_model_dir(tmp_path / "base")
    db = tmp_path / "r.duckdb"
    result = inprocess(pytester, tmp_path, db, "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*"])
    assert_rejected(db)


def test_keyboard_interrupt_never_promotes(project):
    """Ctrl-C inside a suite (pytest exit status 2): the run is REJECTed or aborted, never PROMOTEd."""
    (project / "suites" / "test_cheap.py").write_text(
        CHEAP_SUITE.replace('    assert FAIL != str(i)', '    if i == 1:\n        raise KeyboardInterrupt\n    assert FAIL != str(i)'))
    db = project / "r.duckdb"
    result = run_gate(project, db)
    assert result.returncode != 0, result.stdout
    assert query(db, NOT_PROMOTED) == [(0,)]
    status, decision = query(db, "SELECT r.status, d.decision FROM runs r LEFT JOIN decisions d ON d.run_id = r.id")[0]
    assert (status, decision) in {("finished", "REJECT"), ("aborted", None)}


def test_internal_error_never_promotes(project):
    """A pytest internal error (exit status 3) after every test passed: still REJECT."""
    (project / "suites" / "conftest.py").write_text(
        "def pytest_runtest_logfinish(nodeid, location):\n    if nodeid.endswith('[2]'):\n"
        "        raise RuntimeError('internal error in a plugin')\n")
    db = project / "r.duckdb"
    result = run_gate(project, db)
    assert result.returncode != 0, result.stdout
    assert query(db, NOT_PROMOTED) == [(0,)]
    status, decision = query(db, "SELECT r.status, d.decision FROM runs r LEFT JOIN decisions d ON d.run_id = r.id")[0]
    assert (status, decision) in {("finished", "REJECT"), ("aborted", None)}


def test_tests_picked_by_node_id_reject(pytester, project):
    db = project / "r.duckdb"
    result = pytester.runpytest_inprocess(
        f"{project / 'suites' / 'test_cheap.py'}::test_cheap[0]", "--candidate", str(project / "cand"),
        "--baseline", str(project / "base"), "--results-db", str(db), "--rootdir", str(project), "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*REJECT*", "*picked by node id*"])
    assert_rejected(db)
