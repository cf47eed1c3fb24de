"""history, the markdown/HTML/JUnit reports and the SQL views, on a database written like a real gate run."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from harness.errors import HarnessError
from harness.report import append_step_summary, html_report, junit_xml, markdown_report
from harness.store import history, load_run, metric_series, resolve_run_id


def test_history_lists_runs_newest_first_with_decisions(populated_db):
    columns, rows = history(populated_db)
    got = [(r[columns.index("run_id")], r[columns.index("decision")]) for r in rows]
    assert got == [("run-d", None), ("run-c", "REJECT"), ("run-b", "REJECT"), ("run-a", "PROMOTE")]


def test_history_filters_by_candidate_and_last(populated_db):
    _, rows = history(populated_db, candidate="cand-a")
    assert [r[1] for r in rows] == ["run-d", "run-a"]
    _, rows = history(populated_db, last=1)
    assert len(rows) == 1


def test_history_of_a_metric_skips_aborted_runs(populated_db):
    columns, rows = history(populated_db, metric="task.exact_match")
    values = {(r[1], r[3]): r[columns.index("value")] for r in rows}
    assert values[("run-a", "candidate")] == pytest.approx(0.7)
    assert values[("run-a", "baseline")] == pytest.approx(0.55)
    assert not any(run == "run-d" for run, _ in values)


def test_run_ids_resolve_latest_and_prefixes(populated_db):
    assert resolve_run_id(populated_db, "latest") == "run-d"
    assert resolve_run_id(populated_db, "run-c") == "run-c"
    with pytest.raises(HarnessError, match="matches 4 runs"):
        resolve_run_id(populated_db, "run-")
    with pytest.raises(HarnessError, match="not found"):
        resolve_run_id(populated_db, "nope")


def test_markdown_report_of_flaky_run_says_n_needed(populated_db):
    text = markdown_report(load_run(populated_db, "run-b"))
    assert "## tunegate gate: **REJECT**" in text
    assert re.search(r"task beats base: undecided — .*about n=\d+ paired examples would decide it", text)
    assert "| latency | ratio | ✅ pass (advisory) |" in text


def test_markdown_report_of_aborted_run_fails_closed(populated_db):
    text = markdown_report(load_run(populated_db, "run-d"))
    assert "**ABORTED**" in text and "nothing may be promoted" in text


def test_step_summary_is_appended(populated_db, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    append_step_summary(markdown_report(load_run(populated_db, "run-a")))
    assert summary.read_text().startswith("before\n## tunegate gate: **PROMOTE**")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert append_step_summary("x") is None


def test_junit_has_one_case_per_rule_and_failures_for_blocking_rules(populated_db):
    root = ET.fromstring(junit_xml(load_run(populated_db, "run-c")))
    suite = root.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"task floor", "task beats base", "latency"}
    assert cases["task floor"].find("failure").get("type") == "fail"
    assert cases["task beats base"].find("failure") is not None
    assert cases["latency"].find("skipped") is not None  # advisory rule that failed
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "1")


def test_junit_of_undecided_and_aborted_runs(populated_db):
    flaky = ET.fromstring(junit_xml(load_run(populated_db, "run-b"))).find("testsuite")
    assert [f.get("type") for f in flaky.iter("failure")] == ["undecided"]
    aborted = ET.fromstring(junit_xml(load_run(populated_db, "run-d"))).find("testsuite")
    assert aborted.get("errors") == "1" and "fail closed" in aborted.find("testcase/error").text


def test_html_report_is_self_contained_with_svg_plots(populated_db):
    page = html_report(populated_db, load_run(populated_db, "run-b"))
    assert "<script" not in page and "<link" not in page and "src='http" not in page  # nothing fetched
    images = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 3  # the forest plot (task beats base), task.exact_match and latency.p95_ms history
    assert b"<svg" in base64.b64decode(images[0])


def test_metric_series_pairs_roles_per_run(populated_db):
    series = metric_series(populated_db, "task", "exact_match")
    assert [s["run_id"] for s in series] == ["run-a", "run-b", "run-c"]
    assert series[0]["candidate"] == pytest.approx(0.7) and series[0]["baseline"] == pytest.approx(0.55)


def test_views(populated_db):
    cols, rows = populated_db.query("SELECT run_id, decision, failed_rules, undecided_rules, latest_for_candidate "
                                    "FROM latest_decisions")
    assert rows == [("run-c", "REJECT", 2, 0, True), ("run-b", "REJECT", 0, 1, True), ("run-a", "PROMOTE", 0, 0, True)]
    _, rows = populated_db.query("SELECT candidate_id, latest, latest_decision, runs FROM leaderboard "
                                 "WHERE suite = 'task' AND metric = 'exact_match' ORDER BY best DESC")
    assert rows[0][0] == "cand-a" and rows[0][1] == pytest.approx(0.7) and rows[0][2:] == ("PROMOTE", 1)
    _, rows = populated_db.query("SELECT count(*) FROM metric_history WHERE run_id = 'run-d'")
    assert rows == [(0,)]
