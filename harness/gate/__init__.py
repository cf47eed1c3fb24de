"""The gate: the policy file, rules as small value objects, paired statistics, and the PROMOTE/REJECT decision."""

from harness.gate.decision import PROMOTE, REJECT, Decision, decide, score_aggregates
from harness.gate.policy import Policy, choose_policy, load_policy, resolve_policy_ref
from harness.gate.rules import FAIL, PASS, RULE_KINDS, UNDECIDED, Evidence, Verdict
from harness.gate.stats import paired_bootstrap

__all__ = [
    "Decision", "Evidence", "FAIL", "PASS", "PROMOTE", "Policy", "REJECT", "RULE_KINDS", "UNDECIDED", "Verdict",
    "choose_policy", "decide", "load_policy", "paired_bootstrap", "resolve_policy_ref", "score_aggregates"
]
