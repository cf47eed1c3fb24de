"""The gate: every rule evaluated once over the run's evidence, every failure reported, then one decision."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from harness.gate.policy import Policy
from harness.gate.rules import FAIL, PASS, UNDECIDED, Evidence, Verdict
from harness.gate.stats import is_binary, wilson_interval

PROMOTE, REJECT = "PROMOTE", "REJECT"


@dataclass
class Decision:
    """PROMOTE only when every required rule passed; otherwise REJECT with every blocking reason."""

    decision: str
    verdicts: list[Verdict]
    errors: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """One line per session fault and per rule that blocks promotion; the rules a settled verdict left
        unevaluated (--reject-early) in one line."""
        skipped = [v.rule for v in self.verdicts if v.blocks and v.skipped]
        return self.errors + [f"{v.rule}: {v.status} — {v.reason}" for v in self.verdicts if v.blocks and not v.skipped] + (
            [f"not evaluated, the verdict being settled already: {', '.join(skipped)} "
             "(--no-reject-early runs every suite)"] if skipped else [])

    @property
    def promoted(self) -> bool:
        return self.decision == PROMOTE

    def counts(self) -> dict[str, int]:
        """How many rules passed, failed and were undecided."""
        return {s: sum(v.status == s for v in self.verdicts) for s in (PASS, FAIL, UNDECIDED)}


def decide(policy: Policy, evidence: Evidence, errors: list[str] | None = None) -> Decision:
    """Evaluate all rules; ``errors`` are session-level faults (a crashed suite, no candidate) that force REJECT."""
    evidence.confidence = policy.confidence
    evidence.resamples = policy.resamples
    verdicts = []
    for rule in policy.rules:
        verdict = rule.evaluate(evidence)
        verdict.required = verdict.required and policy.suite_required(rule.suite)
        verdicts.append(verdict)
    blocked = any(v.blocks for v in verdicts) or bool(errors)
    return Decision(REJECT if blocked else PROMOTE, verdicts, list(errors or []))


def score_aggregates(evidence: Evidence) -> list[dict[str, float | int | str]]:
    """Mean, n and CI of every per-example score series that has no aggregate metric recorded.

    Stored as ``metrics`` rows at session end so that history, leaderboards and plots see task accuracy too.
    The CI is Wilson's for 0/1 scores and a normal interval on the mean otherwise.
    """
    z = NormalDist().inv_cdf(1.0 - (1.0 - evidence.confidence) / 2.0)
    rows: list[dict[str, float | int | str]] = []
    for (role, suite, metric), per_example in sorted(evidence.scores.items()):
        if (role, suite, metric) in evidence.metrics or not per_example:
            continue
        scores = np.fromiter(per_example.values(), dtype=float)
        n, mean = scores.size, float(scores.mean())
        if is_binary(scores):
            low, high = wilson_interval(int(scores.sum()), n, evidence.confidence)
        else:
            half = z * float(scores.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
            low, high = mean - half, mean + half
        rows.append({"role": role, "suite": suite, "metric": metric, "value": mean, "n": n,
                     "ci_low": low, "ci_high": high})
    return rows


__all__ = ["Decision", "decide", "score_aggregates", "PROMOTE", "REJECT", "PASS", "FAIL", "UNDECIDED"]
