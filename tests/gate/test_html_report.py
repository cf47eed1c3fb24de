"""The HTML report: forest plot of the paired rules, rules grouped by suite with failing ones first, advisory rules
apart, the most regressed examples, history with one series per candidate; and, with --runslow, the page in a
real headless Chromium at 1280 px (no horizontal overflow, rule names on at most three lines, a screenshot)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.gate import RULE_KINDS, Evidence, Policy, decide, score_aggregates
from harness.report import html_report, write_html
from harness.report.plots import bound_of, candidate_series, forest_rows
from harness.store import Store, insert_rows, load_run, metric_series

from .conftest import insert_decision

T0 = dt.datetime(2026, 3, 1, 9, 0, 0)
SPECS = [
    {"kind": "superiority", "metric": "task.normalised_match", "name": "task accuracy beats baseline"},
    {"kind": "floor", "metric": "task.normalised_match", "name": "task accuracy floor", "min": 0.5},
    {"kind": "non_inferiority", "metric": "regression.score", "margin": 0.05,
     "name": "general skills do not regress (lm-eval tasks pooled, every document of every task)"},
    {"kind": "non_inferiority", "metric": "safety.benign_compliance", "margin": 0.10, "name": "no new over-refusal"},
    {"kind": "non_inferiority", "metric": "format.format_ok", "margin": 0.02, "advisory": True,
     "name": "declared output formats kept, advisory"},
    {"kind": "ratio", "metric": "latency.e2e_p95_ms", "max_ratio": 1.5, "name": "p95 latency within 1.5x baseline"},
]
RULES = [RULE_KINDS[s["kind"]].from_spec(s) for s in SPECS]
SUITES = ("task", "regression", "safety", "format", "latency")


def scores(n: int, ones: int) -> list[int]:
    return [1] * ones + [0] * (n - ones)


def record(store: Store, run_id: str, candidate: str, minute: int, task: int, regression: int, benign: int,
           fmt: int) -> None:
    """One finished run written the way GateSession.finish writes it (per-example samples with text)."""
    ev = Evidence(suite_status=dict.fromkeys(SUITES, "passed"), resamples=2000)
    per_metric = {("task", "normalised_match"): (task, 60, 30), ("regression", "score"): (regression, 200, 150),
                  ("safety", "benign_compliance"): (benign, 120, 90), ("format", "format_ok"): (fmt, 40, 36)}
    samples = []
    for (suite, metric), (ones, n, base_ones) in per_metric.items():
        for role, got in (("candidate", scores(n, ones)), ("baseline", scores(n, base_ones))):
            ev.scores[(role, suite, metric)] = {f"{suite}-{i}": float(s) for i, s in enumerate(got)}
            samples += [{"run_id": run_id, "role": role, "suite": suite, "metric": metric,
                         "example_id": f"{suite}-{i}", "category": f"cat-{i % 3}",
                         "prompt": f"<|im_start|>user\nQuestion {i} of {suite}: " + "a long prompt " * 12,
                         "output": f"{role} answer to {i}", "reference": f"ref {i}", "score": float(s),
                         "latency_ms": 10.0} for i, s in enumerate(got)]
    ev.metrics[("candidate", "latency", "e2e_p95_ms")] = 110.0 + minute / 10
    ev.metrics[("baseline", "latency", "e2e_p95_ms")] = 100.0
    policy = Policy(path=Path("suites/gate.toml"), sha256="ab" * 32, rules=RULES, resamples=2000)
    decision = decide(policy, ev)
    started = T0 + dt.timedelta(minutes=minute)
    with store.write() as con:
        if not con.execute("SELECT 1 FROM candidates WHERE id = ?", [candidate]).fetchall():
            insert_rows(con, "candidates", [{"id": candidate, "path": f"/c/{candidate}", "method": "lora",
                                             "weights_fingerprint": "f" * 64, "registered_at": started}])
        insert_rows(con, "runs", [{
            "id": run_id, "started_at": started, "finished_at": started, "status": "finished",
            "candidate_id": candidate, "candidate_path": f"/c/{candidate}", "candidate_fingerprint": "f" * 64,
            "baseline_ref": "/models/base", "policy_path": "suites/gate.toml", "policy_sha256": policy.sha256}])
        insert_rows(con, "samples", samples)
        insert_rows(con, "metrics", [dict(r, run_id=run_id, recorded_at=started) for r in score_aggregates(ev)] + [
            {"run_id": run_id, "role": role, "suite": "latency", "metric": "e2e_p95_ms",
             "value": ev.metrics[(role, "latency", "e2e_p95_ms")], "recorded_at": started}
            for role in ("candidate", "baseline")])
        insert_rows(con, "suite_outcomes", [{"run_id": run_id, "suite": s, "nodeid": f"suites/test_{s}.py::t",
                                             "outcome": "passed", "duration_s": 1.0} for s in SUITES])
        insert_decision(con, run_id, decision, policy, started)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Two candidates gated three times each, interleaved; the last run fails task accuracy, leaves over-refusal
    undecided and fails the advisory format rule."""
    db = Store(tmp_path_factory.mktemp("html") / "r.duckdb")
    for i, (candidate, task) in enumerate([("lora-a", 45), ("sft-b", 50), ("lora-a", 46), ("sft-b", 52),
                                           ("lora-a", 47), ("sft-b", 20)]):
        record(db, f"run-{i}", candidate, 10 * i, task, 148, 80 if i == 5 else 92, 30)
    return db


def test_forest_rows_are_the_paired_rules_with_their_bound(store):
    rows = forest_rows(load_run(store, "run-5").verdicts)
    assert {r.label for r in rows} == {SPECS[0]["name"], SPECS[2]["name"], SPECS[3]["name"], SPECS[4]["name"]}
    bounds = {r.label: r.bound for r in rows}
    assert bounds["no new over-refusal"] == pytest.approx(-0.10) and bounds[SPECS[0]["name"]] == 0.0
    assert bound_of("Δ -0.0850, 95% CI [-0.1275, -0.0447], n=447 straddles -0.1000; about n=3480") == -0.1


def test_rules_failing_first_grouped_by_suite_advisory_apart(store):
    page = html_report(store, load_run(store, "run-5"))
    suites = re.findall(r"<div class='suite-head'><h3>([a-z]+)</h3>", page)
    assert suites[0] == "task" and suites.index("safety") < suites.index("regression")  # fail, undecided, pass
    assert "advisory: never blocks" in page and "<tr class='advisory'>" in page
    text = re.sub(r"<img[^>]*>", "", page)
    assert "True" not in text and "False" not in text  # no Python booleans


def test_page_is_self_contained_with_svg_plots(store):
    page = html_report(store, load_run(store, "run-5"))
    assert "<script" not in page and "<link" not in page and "src='http" not in page  # nothing fetched
    images = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 1 + 5  # the forest plot, one history plot per rule metric
    assert b"<svg" in base64.b64decode(images[0])


def test_most_regressed_examples_pair_both_outputs(store):
    page = html_report(store, load_run(store, "run-5"))
    assert "task.normalised_match</code> — 10 of 60 paired examples worse, 0 better" in page
    assert "baseline answer to 20" in page and "candidate answer to 20" in page and "1 → 0" in page


def test_history_has_one_series_per_candidate(store):
    series = metric_series(store, "task", "normalised_match")
    split = candidate_series(series, highlight="run-5")
    assert list(split) == ["sft-b", "lora-a"]  # this run's candidate first
    assert [x for x, _ in split["lora-a"]] == [0, 2, 4] and [x for x, _ in split["sft-b"]] == [1, 3, 5]


def test_a_run_without_a_decision_says_nothing_may_be_promoted(populated_db):
    page = html_report(populated_db, load_run(populated_db, "run-d"))
    assert "class='decision ABORTED'" in page and "nothing may be promoted" in page


@pytest.mark.slow
def test_page_reads_at_1280_px_in_headless_chromium(store, tmp_path):
    """In a real browser at 1280 px: nothing wider than the window, no rule name over three lines; the screenshot
    is kept in $TUNEGATE_SCREENSHOT_DIR when set (look at it), else in the test's tmp dir."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium: apt-get install -y chromium")
    page = write_html(store, load_run(store, "run-5"), tmp_path / "report.html")
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", (
        "<script>const cells=[...document.querySelectorAll('tr:not(.meta) td:first-child')];"
        "const line=parseFloat(getComputedStyle(document.body).lineHeight)||20;"
        "document.title=JSON.stringify({scroll:document.documentElement.scrollWidth,width:innerWidth,"
        "lines:Math.max(...cells.map(c=>{const r=document.createRange();r.selectNodeContents(c.firstChild);"
        "return r.getBoundingClientRect().height/line}))});</script></body>")), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2000"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    measured = json.loads(re.search(r"<title>(.*?)</title>", dom).group(1).replace("&quot;", '"'))
    assert measured["width"] == 1280 and measured["scroll"] <= 1280, measured
    assert measured["lines"] <= 3.2, measured
    shots = Path(os.environ.get("TUNEGATE_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "report-1280.png"
    subprocess.run([chromium, *flags[:-1], "--window-size=1280,5200", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:4] == b"\x89PNG"
