"""Sequential monitoring: after each chunk a suite evaluates, judge the rules that depend on it and say whether
the suite may stop.

A rule stops at the first look where its anytime-valid test (harness.gate.sequential) decides, and keeps that
decision; its suite stops when every rule it feeds has stopped. A rule without a sequential test (ratio, zero,
category floor, an aggregate metric) never decides here, so its suite runs every item and the rule is judged at
session end by the fixed-n method exactly as without monitoring.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.gate.rules import FAIL, PASS, UNDECIDED, Evidence, Rule, Stop
from harness.gate.sequential import ABOVE, CONTINUE, sequential_test


def monitored_rules(rules: Iterable[Rule], suite: str, metrics: Iterable[str] | None = None) -> list[Rule]:
    """The rules a chunked evaluation of ``suite`` feeds: all of the suite's, or those on ``metrics``."""
    wanted = None if metrics is None else set(metrics)
    return [r for r in rules if r.suite == suite and (wanted is None or r.metric in wanted)]


def look(rules: list[Rule], evidence: Evidence, alpha: float, last: bool = False) -> bool:
    """Judge each rule not yet decided on the evidence so far and record where it stands in
    ``evidence.sequential``; True when every rule is decided (the suite may stop).

    ``alpha``: 1 − the policy's confidence. ``last``: no items are left, so a rule still undecided stops here and
    is left to the fixed-n rule.
    """
    stops = evidence.sequential
    if stops is None:
        return False
    level = f"{1.0 - alpha:.0%}"
    for rule in rules:
        if rule.name in stops and stops[rule.name].status != UNDECIDED:
            continue  # decided at an earlier look: the decision stands (the sequence is valid at every time)
        obs = rule.observations(evidence)
        if isinstance(obs, str):
            stops[rule.name] = Stop(UNDECIDED, rule.scored(evidence) or 0, f"ran all items: {obs}")
            continue
        result = sequential_test(obs, alpha)
        cs = f"anytime-valid {level} CS [{result.cs_low:+.4f}, {result.cs_high:+.4f}]"
        if result.status == CONTINUE:
            why = (f"ran all {result.n} items without a sequential decision ({cs} holds {obs.threshold:+.4f}); "
                   "judged by the fixed-n rule" if last else f"undecided at n={result.n} ({cs})")
            stops[rule.name] = Stop(UNDECIDED, result.n, why)
            continue
        passed = (result.status == ABOVE) == obs.pass_above
        side = "above" if result.status == ABOVE else "below"
        stops[rule.name] = Stop(PASS if passed else FAIL, result.n,
                                f"decided {PASS if passed else FAIL} at n={result.n}: {cs} lies {side} "
                                f"{obs.threshold:+.4f}")
    return bool(rules) and all(stops[r.name].status != UNDECIDED for r in rules)


__all__ = ["look", "monitored_rules"]
