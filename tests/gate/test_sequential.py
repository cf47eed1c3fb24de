"""Anytime-valid sequential tests: the error rate at the margin, early decisions, the confidence sequence, and how
a sequential decision becomes a rule's verdict (harness.gate.sequential, harness.gate.monitor, rules._settle)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from harness.gate import (
    FAIL,
    PASS,
    RULE_KINDS,
    UNDECIDED,
    Evidence,
    Observations,
    Stop,
    confidence_sequence,
    first_crossings,
    items_used,
    look,
    look_points,
    paired_bootstrap,
    sequential_test,
)

GATES = 10_000
N = 447  # the safety suite's harmful requests
MARGIN = 0.05  # non-inferiority: passes when the CI lies above -0.05
ALPHA = 0.05  # 1 - the default policy's confidence
FIRST_LOOK = 64  # items at the first look, each later look doubling (harness.session.CHUNK_SIZE)


def paired_gates(delta: float, gates: int = GATES, n: int = N, discordant: float = 0.3,
                 seed: int = 0) -> np.ndarray:
    """``gates`` rows of n paired 0/1 differences candidate − baseline: +1 w.p. (discordant + delta) / 2, −1 w.p.
    (discordant − delta) / 2, else 0 (mean delta), as a paired accuracy metric gives them."""
    rng = np.random.default_rng(seed)
    u = rng.random((gates, n))
    up, down = (discordant + delta) / 2, (discordant - delta) / 2
    return np.where(u < up, 1.0, np.where(u < up + down, -1.0, 0.0))


@cache
def fixed_n_passes(b: int, c: int, n: int, bound: float) -> bool:
    """The fixed-n rule on all n items, exactly as the gate applies it: the seeded paired bootstrap's 95% CI above
    the bound (a 0/1 CI depends only on the discordant counts, so 10,000 gates need only their distinct pairs)."""
    cand = np.r_[np.ones(b), np.zeros(c), np.zeros(n - b - c)]
    base = np.r_[np.zeros(b), np.ones(c), np.zeros(n - b - c)]
    return paired_bootstrap(cand, base, confidence=1 - ALPHA).ci_low > bound


def gate_outcomes(d: np.ndarray, bound: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sequential pass, sequential fail, items used) per simulated gate, looking where a chunked suite does."""
    above, below = first_crossings(d, bound, ALPHA)
    passed = (above > 0) & ((below == 0) | (above <= below))
    failed = (below > 0) & ~passed
    first = np.where(passed, above, np.where(failed, below, d.shape[1]))
    used = items_used(first, look_points(d.shape[1], FIRST_LOOK))
    return passed, failed, used


def within(rate: float, bound: float, trials: int) -> bool:
    """rate <= bound allowing three Monte-Carlo standard errors at the bound."""
    return rate <= bound + 3 * math.sqrt(bound * (1 - bound) / trials)


def test_false_promote_rate_at_the_margin_stays_within_alpha():
    """The hardest null: the candidate is worse by exactly the margin. A rule may pass at any look (sequential)
    or, undecided after every item, by the fixed-n bootstrap as without monitoring; together at most alpha."""
    d = paired_gates(-MARGIN)
    passed, failed, _ = gate_outcomes(d, -MARGIN)
    undecided = ~passed & ~failed
    b, c = (d == 1).sum(axis=1), (d == -1).sum(axis=1)
    fallback = np.array([fixed_n_passes(int(bi), int(ci), N, -MARGIN) if u else False
                         for bi, ci, u in zip(b, c, undecided, strict=True)])
    sequential_rate, promote_rate = passed.mean(), (passed | fallback).mean()
    assert within(sequential_rate, ALPHA / 2, GATES), sequential_rate  # Ville: the bettor's share of alpha
    assert within(promote_rate, ALPHA, GATES), promote_rate  # plus the fixed-n fallback's alpha/2


def test_a_large_effect_is_decided_early():
    """Far below the margin (Δ −0.30 against −0.05), the rule fails on a quarter of the items or fewer."""
    _, failed, used = gate_outcomes(paired_gates(-0.30, gates=2_000), -MARGIN)
    assert failed.mean() > 0.99
    assert used.mean() <= 0.25 * N, used.mean()


def test_no_difference_passes_non_inferiority_early():
    """Candidate and baseline agree on every item: every pair is evidence the drop is not 0.05."""
    result = sequential_test(Observations(np.zeros(200), -MARGIN, -1.0, 1.0), ALPHA)
    assert result.status == "above" and result.at is not None and result.at <= 128
    assert result.cs_low > -MARGIN


def test_the_decision_is_the_confidence_sequence_leaving_the_threshold():
    x = paired_gates(-0.2, gates=1, n=300, seed=4)[0]
    result = sequential_test(Observations(x, -MARGIN, -1.0, 1.0), ALPHA)
    assert result.status == "below" and result.cs_high < -MARGIN
    low, high = confidence_sequence(x[: result.at - 1], ALPHA)  # one item earlier it still held the threshold
    assert low <= -MARGIN <= high + 1e-3


def test_the_confidence_sequence_covers_the_mean_at_every_n():
    rng = np.random.default_rng(1)
    misses = 0
    for _ in range(100):
        x = rng.beta(2, 5, size=400)  # mean 2/7, on [0, 1]
        low, high = confidence_sequence(x, ALPHA, lo=0.0, hi=1.0)
        misses += not low <= 2 / 7 <= high
    assert misses <= 5


def test_a_threshold_at_the_end_of_the_range_is_never_passed():
    """A floor of 1.0 on [0, 1] scores: no bettor can show the mean exceeds it, however many 1s (the fixed-n
    rule judges it after every item)."""
    result = sequential_test(Observations(np.ones(500), 1.0, 0.0, 1.0), ALPHA)
    assert result.status == "continue"


# -- from a sequential decision to a verdict --------------------------------------------------------------------
def rule(kind: str, metric: str = "s.m", **params):
    return RULE_KINDS[kind].from_spec({"kind": kind, "metric": metric, "name": f"{kind} {metric}", **params})


def evidence(cand: list[float], base: list[float], sequential: bool = True) -> Evidence:
    ev = Evidence(suite_status={"s": "passed"}, resamples=2000, sequential={} if sequential else None)
    ev.scores[("candidate", "s", "m")] = {f"e{i}": v for i, v in enumerate(cand)}
    ev.scores[("baseline", "s", "m")] = {f"e{i}": v for i, v in enumerate(base)}
    return ev


def test_a_decided_rule_keeps_its_decision_and_shows_the_fixed_n_interval():
    r = rule("non_inferiority", margin=0.05)
    ev = evidence([0.0] * 40 + [1.0] * 88, [1.0] * 128)
    assert look([r], ev, ALPHA)
    verdict = r.evaluate(ev)
    assert verdict.status == FAIL and verdict.items_used == 128
    assert verdict.stop_reason == "decided fail at n=128"
    assert "anytime-valid 95% CS" in verdict.reason and "fixed-n on every evaluated item: Δ -0.3125" in verdict.reason


def test_an_undecided_rule_is_judged_by_the_fixed_n_rule_after_every_item():
    r = rule("non_inferiority", margin=0.05)
    cand, base = [1.0, 0.0] * 50, [0.0, 1.0] * 50  # Δ 0 with every pair discordant: too noisy to decide
    ev = evidence(cand, base)
    assert not look([r], ev, ALPHA, last=True)
    verdict, fixed = r.evaluate(ev), r.evaluate(evidence(cand, base, sequential=False))
    assert (verdict.status, verdict.ci_low, verdict.reason) == (fixed.status, fixed.ci_low, fixed.reason)
    assert verdict.stop_reason.startswith("ran all 100 items without a sequential decision")
    assert fixed.stop_reason == "sequential monitoring off (--no-sequential): ran all items"


def test_a_sequential_pass_the_fixed_n_rule_contradicts_decides_nothing():
    r = rule("non_inferiority", margin=0.05)
    ev = evidence([0.0] * 50, [1.0] * 50)
    ev.sequential = {r.name: Stop(PASS, 20, "decided pass at n=20: (forged)")}
    verdict = r.evaluate(ev)
    assert verdict.status == UNDECIDED and "conflicting evidence" in verdict.reason


def test_a_rule_without_a_sequential_decision_cannot_pass_on_a_stopped_suites_items():
    r = rule("floor", min=0.5)
    ev = evidence([1.0] * 64, [1.0] * 64)
    ev.metrics[("candidate", "s", "m")] = 1.0  # an aggregate: no sequential method
    ev.partial["s.m"] = "suite 's' stopped after 64 of 900 items"
    verdict = r.evaluate(ev)
    assert verdict.status == UNDECIDED and "stopped after 64 of 900" in verdict.reason
    assert "recorded aggregate" in verdict.stop_reason


@pytest.mark.parametrize("kind, params", [("ratio", {"max_ratio": 1.2}), ("zero", {}), ("category_floor", {"min": 0.5})])
def test_kinds_without_a_sequential_method_never_let_a_suite_stop(kind, params):
    ev = evidence([1.0] * 200, [1.0] * 200)
    ev.metrics[("candidate", "s", "m")] = ev.metrics[("baseline", "s", "m")] = 0.0
    r = rule(kind, **params)
    assert not look([r], ev, ALPHA)
    assert r.evaluate(ev).stop_reason == f"no sequential method for kind '{kind}'"


def test_floor_and_ceiling_decide_on_the_candidates_scores():
    ev = evidence([1.0] * 100, [0.0] * 100)
    floor, ceiling = rule("floor", min=0.5), rule("ceiling", max=0.5)
    assert look([floor, ceiling], ev, ALPHA)
    assert (floor.evaluate(ev).status, ceiling.evaluate(ev).status) == (PASS, FAIL)


@pytest.mark.parametrize("n, first, points", [
    (894, 64, [64, 128, 256, 512, 894]),  # the safety suite: 5 chunks where looks every 64 items made 14
    (370, 128, [128, 370]),  # the real demo's regression documents
    (95, 64, [95]),  # too few for a look to save anything: one chunk
    (0, 64, []),
])
def test_looks_double_and_keep_the_first_one(n, first, points):
    assert look_points(n, first) == points


def test_a_chunk_is_never_smaller_than_half_of_what_came_before():
    for n in range(1, 3000, 7):
        ends = look_points(n, 64)
        assert ends[-1] == n and ends == sorted(set(ends))
        for before, end in zip(ends, ends[1:], strict=False):
            assert end - before >= before / 2
