"""Every rule kind passing, failing and undecidable, on hand-built Evidence (no models, fast)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.gate import FAIL, PASS, PROMOTE, REJECT, RULE_KINDS, UNDECIDED, Evidence, decide


def rule(kind: str, metric: str = "task.acc", **params):
    return RULE_KINDS[kind].from_spec({"kind": kind, "metric": metric, **params})


def paired(cand: list[float], base: list[float], suite: str = "task", metric: str = "acc", **kw) -> Evidence:
    ev = Evidence(suite_status={suite: "passed"}, resamples=4000, **kw)
    ev.scores[("candidate", suite, metric)] = {f"e{i}": float(s) for i, s in enumerate(cand)}
    ev.scores[("baseline", suite, metric)] = {f"e{i}": float(s) for i, s in enumerate(base)}
    return ev


def values(cand: float | None = None, base: float | None = None, suite: str = "task", metric: str = "acc") -> Evidence:
    ev = Evidence(suite_status={suite: "passed"})
    if cand is not None:
        ev.metrics[("candidate", suite, metric)] = cand
    if base is not None:
        ev.metrics[("baseline", suite, metric)] = base
    return ev


# -- absolute rules ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "param", "value", "status"), [
    ("floor", {"min": 0.8}, 0.85, PASS), ("floor", {"min": 0.8}, 0.8, PASS), ("floor", {"min": 0.8}, 0.79, FAIL),
    ("ceiling", {"max": 0.1}, 0.05, PASS), ("ceiling", {"max": 0.1}, 0.2, FAIL),
    ("zero", {}, 0.0, PASS), ("zero", {}, 1.0, FAIL),
])
def test_absolute_rules(kind, param, value, status):
    verdict = rule(kind, **param).evaluate(values(value))
    assert verdict.status == status
    assert verdict.candidate == value


def test_floor_uses_mean_of_per_example_scores_when_no_aggregate():
    ev = paired([1, 1, 1, 0], [0, 0, 0, 0])
    assert rule("floor", min=0.75).evaluate(ev).status == PASS
    assert rule("floor", min=0.76).evaluate(ev).status == FAIL


@pytest.mark.parametrize("kind", ["floor", "ceiling", "zero", "ratio", "superiority", "non_inferiority",
                                  "category_floor"])
def test_every_kind_is_undecided_without_its_metric(kind):
    params = {"floor": {"min": 0.5}, "ceiling": {"max": 1}, "ratio": {"max_ratio": 1.2},
              "non_inferiority": {"margin": 0.02}, "category_floor": {"min": 0.5}}.get(kind, {})
    verdict = rule(kind, **params).evaluate(Evidence(suite_status={"task": "passed"}))
    assert verdict.status == UNDECIDED
    assert "task.acc" in verdict.reason and verdict.blocks


@pytest.mark.parametrize("status", ["failed", "error", "skipped"])
def test_unhealthy_suite_makes_rules_undecided_even_with_good_numbers(status):
    ev = values(0.99)
    ev.suite_status["task"] = status
    verdict = rule("floor", min=0.5).evaluate(ev)
    assert verdict.status == UNDECIDED and status in verdict.reason


def test_suite_that_never_ran_is_undecided():
    verdict = rule("floor", min=0.5).evaluate(Evidence(metrics={("candidate", "task", "acc"): 0.9}))
    assert verdict.status == UNDECIDED and "did not run" in verdict.reason


# -- ratio -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cand", "base", "status"), [(110.0, 100.0, PASS), (120.0, 100.0, PASS), (121.0, 100.0, FAIL),
                                                      (50.0, 0.0, UNDECIDED), (50.0, None, UNDECIDED)])
def test_ratio_to_baseline(cand, base, status):
    verdict = rule("ratio", "latency.p95_ms", max_ratio=1.2).evaluate(values(cand, base, "latency", "p95_ms"))
    assert verdict.status == status


# -- paired rules ------------------------------------------------------------------------------------------
def test_superiority_passes_on_clear_improvement():
    rng = np.random.default_rng(0)
    base = (rng.random(400) < 0.5).astype(float)
    cand = np.maximum(base, (rng.random(400) < 0.3).astype(float))
    verdict = rule("superiority").evaluate(paired(list(cand), list(base)))
    assert verdict.status == PASS
    assert verdict.ci_low > 0 and "McNemar p=" in verdict.reason


def test_superiority_fails_when_candidate_is_no_better():
    base = [1.0] * 20 + [0.0] * 20
    cand = [1.0] * 10 + [0.0] * 30
    verdict = rule("superiority").evaluate(paired(cand, base))
    assert verdict.status == FAIL and verdict.ci_high <= 0


def test_superiority_fails_on_identical_scores():
    verdict = rule("superiority").evaluate(paired([1, 0, 1, 0], [1, 0, 1, 0]))
    assert verdict.status == FAIL


def test_flaky_one_example_win_is_not_promoted_and_names_n():
    # 30 examples, candidate right on exactly one more: 1 point better, by luck as likely as not.
    base = [1.0] * 15 + [0.0] * 15
    cand = list(base)
    cand[20] = 1.0
    ev = paired(cand, base)
    verdict = rule("superiority", name="beats baseline").evaluate(ev)
    assert verdict.status == UNDECIDED
    assert verdict.needed_n is not None and verdict.needed_n >= 180
    assert f"n={verdict.needed_n}" in verdict.reason
    from harness.gate import Policy

    decision = decide(Policy(path=__file__, sha256="x", rules=[rule("superiority", name="beats baseline")]), ev)
    assert decision.decision == REJECT
    assert any("would decide it" in r for r in decision.reasons)


def test_binary_superiority_needs_mcnemar_not_just_the_bootstrap():
    # 5 vs 0 discordant of 30: the bootstrap CI clears 0 but McNemar p = 0.0625 does not.
    base = [0.0] * 30
    cand = [1.0] * 5 + [0.0] * 25
    verdict = rule("superiority").evaluate(paired(cand, base))
    assert verdict.ci_low > 0
    assert verdict.status == UNDECIDED and "p=0.0625" in verdict.reason


def test_superiority_with_margin_on_continuous_scores():
    rng = np.random.default_rng(1)
    base = rng.random(500)
    cand = base + 0.1 + rng.normal(0, 0.02, 500)
    assert rule("superiority", margin=0.05).evaluate(paired(list(cand), list(base))).status == PASS
    assert rule("superiority", margin=0.2).evaluate(paired(list(cand), list(base))).status == FAIL


@pytest.mark.parametrize(("drop", "status"), [(0.0, PASS), (0.2, FAIL)])
def test_non_inferiority(drop, status):
    rng = np.random.default_rng(2)
    base = rng.random(1000)
    cand = base - drop + rng.normal(0, 0.01, 1000)
    verdict = rule("non_inferiority", margin=0.02).evaluate(paired(list(cand), list(base)))
    assert verdict.status == status


def test_non_inferiority_undecided_when_interval_straddles_the_margin():
    rng = np.random.default_rng(3)
    base = rng.random(40)
    cand = base - 0.02 + rng.normal(0, 0.05, 40)
    verdict = rule("non_inferiority", margin=0.02).evaluate(paired(list(cand), list(base)))
    assert verdict.status == UNDECIDED
    assert verdict.ci_low < -0.02 < verdict.ci_high


def test_paired_rule_without_baseline_scores_is_undecided():
    ev = paired([1, 0], [1, 0])
    del ev.scores[("baseline", "task", "acc")]
    verdict = rule("non_inferiority", margin=0.1).evaluate(ev)
    assert verdict.status == UNDECIDED and "baseline missing" in verdict.reason


def test_paired_rule_pairs_only_shared_examples():
    ev = paired([1, 1, 1], [0, 0, 0])
    ev.scores[("candidate", "task", "acc")]["extra"] = 0.0
    verdict = rule("non_inferiority", margin=0.1).evaluate(ev)
    assert verdict.n == 3


# -- per-category floors ------------------------------------------------------------------------------------
def test_category_floor_pass_fail_and_names_the_category():
    ev = paired([1, 1, 1, 0], [0, 0, 0, 0])
    ev.categories[("task", "acc")] = {"e0": "a", "e1": "a", "e2": "b", "e3": "b"}
    assert rule("category_floor", min=0.5).evaluate(ev).status == PASS
    failing = rule("category_floor", min=0.6).evaluate(ev)
    assert failing.status == FAIL and "b=0.5" in failing.reason


# -- decisions -----------------------------------------------------------------------------------------------
def _policy(*rules, suites=None):
    from harness.gate import Policy

    return Policy(path=__file__, sha256="x", rules=list(rules), suites=suites or {})


def test_promote_only_when_every_required_rule_passes():
    ev = values(0.9)
    assert decide(_policy(rule("floor", min=0.5)), ev).decision == PROMOTE
    assert decide(_policy(rule("floor", min=0.5), rule("ceiling", max=0.5)), ev).decision == REJECT


def test_advisory_rule_reports_but_does_not_block():
    ev = values(0.9)
    advisory = RULE_KINDS["ceiling"].from_spec({"kind": "ceiling", "metric": "task.acc", "max": 0.5, "advisory": True})
    decision = decide(_policy(rule("floor", min=0.5), advisory), ev)
    assert decision.decision == PROMOTE
    assert decision.verdicts[1].status == FAIL and not decision.verdicts[1].blocks


def test_advisory_suite_does_not_block():
    ev = values(0.9)
    ev.suite_status["safety"] = "error"
    decision = decide(_policy(rule("floor", min=0.5), rule("zero", "safety.leaks"), suites={"safety": False}), ev)
    assert decision.decision == PROMOTE


def test_session_errors_force_reject():
    decision = decide(_policy(rule("floor", min=0.5)), values(0.9), ["suite crashed"])
    assert decision.decision == REJECT and decision.reasons[0] == "suite crashed"
