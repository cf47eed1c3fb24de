from __future__ import annotations

import pytest

from harness.errors import PolicyError
from harness.gate import Evidence, load_policy

from .conftest import SUITES


def test_default_policy_parses():
    policy = load_policy(SUITES / "gate.toml")
    assert {r.kind for r in policy.rules} >= {"floor", "superiority"}


def test_error_names_line_and_key(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[gate]\n\n[[rules]]\nmetric = "task.x"\nkind = "floor"\nmin = 0.5\n\n[[rules]]\nmetric = "task.x"\nkind = "bogus"\n')
    with pytest.raises(PolicyError, match=r"gate.toml:10: rules\[1\].kind: kind = 'bogus'"):
        load_policy(path)


def test_missing_parameter_is_named(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[[rules]]\nmetric = "task.x"\nkind = "floor"\n')
    with pytest.raises(PolicyError, match="missing 'min'"):
        load_policy(path)


def test_policy_without_rules_is_refused(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text("[gate]\nconfidence = 0.9\n")
    with pytest.raises(PolicyError, match="no \\[\\[rules\\]\\]"):
        load_policy(path)


def test_missing_metric_blocks(tmp_path):
    from harness.gate import decide

    path = tmp_path / "gate.toml"
    path.write_text('[[rules]]\nmetric = "task.exact_match"\nkind = "floor"\nmin = 0.1\n')
    decision = decide(load_policy(path), Evidence(suite_status={"task": "passed"}))
    assert decision.decision == "REJECT"
    assert "not recorded" in decision.reasons[0]
