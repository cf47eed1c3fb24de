"""Policy validation: every bad key is reported with its file and line."""

from __future__ import annotations

import pytest

from harness.errors import PolicyError
from harness.gate import load_policy

from ..conftest import SUITES

GOOD = """\
[gate]
confidence = 0.9
resamples = 2000

[suites.safety]
required = false

[[rules]]
name = "floor"
metric = "task.exact_match"
kind = "floor"
min = 0.5

[[rules]]
metric = "latency.p95_ms"
kind = "ratio"
max_ratio = 1.2
advisory = true
"""


def write(tmp_path, text):
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_policy_parses(tmp_path):
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.confidence == 0.9 and policy.resamples == 2000
    assert not policy.suite_required("safety") and policy.suite_required("task")
    assert [r.required for r in policy.rules] == [True, False]
    assert policy.rules[1].name == "latency.p95_ms ratio"


def test_default_policy_parses_and_has_a_sha():
    policy = load_policy(SUITES / "gate.toml")
    assert len(policy.sha256) == 64


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("confidence = 0.9", "confidence = 1.5", r"gate.toml:2: \[gate\] confidence: must be a number in \[0.5, 1\)"),
    ("resamples = 2000", "resamples = 2000.5", r"gate.toml:3: \[gate\] resamples: must be an integer"),
    ("resamples = 2000", "resample = 2000", r"gate.toml:3: \[gate\] resample: unknown key"),
    ("required = false", "required = 'no'", r"gate.toml:6: \[suites.safety\] required: must be true or false"),
    ("required = false", "needed = false", r"gate.toml:6: \[suites.safety\] needed: unknown key"),
    ('kind = "floor"', 'kind = "flor"', r"gate.toml:11: rules\[0\].kind: kind = 'flor'"),
    ('min = 0.5', 'min = "high"', r"gate.toml:12: rules\[0\].min: \(floor\) 'min' must be a finite number"),
    ('min = 0.5', 'mn = 0.5', r"gate.toml:12: rules\[0\].mn: \(floor\) unknown key 'mn'"),
    ('min = 0.5', '', r"gate.toml:8: rules\[0\]: \(floor\) missing 'min'"),
    ('metric = "latency.p95_ms"', 'metric = "p95"', r"gate.toml:15: rules\[1\].metric: \(ratio\) 'metric' must be 'suite.metric'"),
    ('advisory = true', 'advisory = 1', r"gate.toml:18: rules\[1\].advisory: \(ratio\) 'advisory' must be true or false"),
    ('advisory = true', 'advisory = true\nrequired = true', r"gate.toml:18: rules\[1\].advisory: .*contradict"),
    ('name = "floor"', 'name = "latency.p95_ms ratio"', r"gate.toml:14: rules\[1\]: duplicate rule name"),
    ("[gate]", "[gates]", r"gate.toml:1: \[gates\]: unknown top-level key 'gates'"),
])
def test_errors_name_line_and_key(tmp_path, old, new, expected):
    assert old in GOOD
    with pytest.raises(PolicyError, match=expected):
        load_policy(write(tmp_path, GOOD.replace(old, new, 1)))


def test_invalid_toml_names_the_line(tmp_path):
    with pytest.raises(PolicyError, match=r"gate.toml: invalid TOML: .*line 3"):
        load_policy(write(tmp_path, GOOD.replace("resamples = 2000", "resamples = ", 1)))


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(PolicyError, match="pass --policy FILE"):
        load_policy(tmp_path / "nope.toml")
