"""The gate: every rule evaluated once over the run's evidence, every failure reported, then one decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.policy import Policy
from harness.rules import FAIL, PASS, Evidence, Verdict

PROMOTE, REJECT = "PROMOTE", "REJECT"


@dataclass
class Decision:
    """PROMOTE only when every required rule passed; otherwise REJECT with every blocking reason."""

    decision: str
    verdicts: list[Verdict]
    errors: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """One line per session fault and per rule that blocks promotion."""
        return self.errors + [f"{v.rule}: {v.status} — {v.reason}" for v in self.verdicts if v.blocks]

    @property
    def promoted(self) -> bool:
        return self.decision == PROMOTE


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


__all__ = ["Decision", "decide", "PROMOTE", "REJECT", "PASS", "FAIL"]
