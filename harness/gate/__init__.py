"""The gate: the policy file, rules as small value objects, paired statistics, and the PROMOTE/REJECT decision."""

from harness.gate.decision import PROMOTE, REJECT, Decision, decide, score_aggregates
from harness.gate.policy import Policy, load_policy
from harness.gate.rules import FAIL, PASS, RULE_KINDS, UNDECIDED, Evidence, Verdict
from harness.gate.stats import paired_bootstrap

__all__ = [
    "Decision", "Evidence", "FAIL", "PASS", "PROMOTE", "Policy", "REJECT", "RULE_KINDS", "UNDECIDED", "Verdict",
    "decide", "load_policy", "paired_bootstrap", "score_aggregates"
]
