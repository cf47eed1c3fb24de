"""The gate: the policy file, rules as small value objects, paired statistics, sequential monitoring, and the
PROMOTE/REJECT decision."""

from harness.gate.decision import PROMOTE, REJECT, Decision, decide, score_aggregates
from harness.gate.monitor import look, monitored_rules
from harness.gate.policy import Policy, choose_policy, load_policy, resolve_policy_ref
from harness.gate.rules import FAIL, PASS, RULE_KINDS, UNDECIDED, Evidence, Stop, Verdict
from harness.gate.sequential import (
    Observations,
    confidence_sequence,
    first_crossings,
    items_used,
    look_points,
    sequential_test,
)
from harness.gate.stats import paired_bootstrap

__all__ = [
    "Decision", "Evidence", "FAIL", "Observations", "PASS", "PROMOTE", "Policy", "REJECT", "RULE_KINDS", "Stop",
    "UNDECIDED", "Verdict", "choose_policy", "confidence_sequence", "decide", "first_crossings", "items_used",
    "load_policy", "look", "look_points", "monitored_rules", "paired_bootstrap", "resolve_policy_ref",
    "score_aggregates", "sequential_test",
]
