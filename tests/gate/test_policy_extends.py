"""Policy `extends`: a project's gate.toml starts from another policy (the packaged default by name, or a path) and
overrides or adds rules by name; every error still names the file and the line."""

from __future__ import annotations

import pytest

from harness.builtin import DEFAULT_POLICY, default_policy
from harness.errors import PolicyError
from harness.gate import choose_policy, load_policy

CHILD = """\
extends = "tunegate:default"

[gate]
resamples = 2000
[gate.settings]
house = "style"

[suites.latency]
required = false

[[rules]]
name = "general skills do not regress"
margin = 0.02

[[rules]]
name = "p95 latency within 1.5x baseline"
advisory = true

[[rules]]
name = "glossary does not regress"
metric = "glossary.normalised_match"
kind = "non_inferiority"
margin = 0.05
"""


def write(tmp_path, text, name="gate.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rules_by_name(policy):
    return {r.name: r for r in policy.rules}


def test_the_packaged_default_is_found_by_name_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = load_policy(DEFAULT_POLICY)
    assert policy.path == default_policy() and default_policy().parent.name == "suites"
    assert len(policy.rules) >= 10 and policy.bases == ()


def test_rules_override_by_name_and_add(tmp_path):
    default = load_policy(DEFAULT_POLICY)
    policy = load_policy(write(tmp_path, CHILD))
    rules = rules_by_name(policy)
    assert len(policy.rules) == len(default.rules) + 1  # two overridden in place, one added at the end
    assert [r.name for r in policy.rules][: len(default.rules)] == [r.name for r in default.rules]
    assert rules["general skills do not regress"].threshold == 0.02  # only the key given changed
    assert rules["general skills do not regress"].metric_ref == "regression.score"
    assert not rules["p95 latency within 1.5x baseline"].required
    assert rules["p95 latency within 1.5x baseline"].threshold == 1.5
    assert policy.rules[-1].name == "glossary does not regress"


def test_gate_settings_and_suites_merge_over_the_base(tmp_path):
    policy = load_policy(write(tmp_path, CHILD))
    assert policy.resamples == 2000 and policy.confidence == 0.95
    assert policy.settings == {"house": "style"}
    assert not policy.suite_required("latency") and policy.suite_required("task")


def test_the_extended_files_are_recorded_with_their_sha256(tmp_path):
    policy = load_policy(write(tmp_path, CHILD))
    assert policy.extends == DEFAULT_POLICY
    assert policy.bases == ((default_policy(), load_policy(DEFAULT_POLICY).sha256),)
    assert policy.sha256 != policy.bases[0][1]  # its own sha256 is of its own bytes


def test_a_relative_path_extends_from_the_extending_files_folder(tmp_path):
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", '[[rules]]\nname = "floor"\nmetric = "task.exact_match"\nkind = "floor"\nmin = 0.5\n')
    (tmp_path / "team").mkdir()
    path = write(tmp_path / "team", 'extends = "../base/gate.toml"\n[[rules]]\nname = "floor"\nmin = 0.7\n')
    policy = load_policy(path)
    assert [(r.name, r.threshold) for r in policy.rules] == [("floor", 0.7)]


def test_changing_a_rules_kind_keeps_only_its_metric(tmp_path):
    path = write(tmp_path, 'extends = "tunegate:default"\n[[rules]]\nname = "no system-prompt leaks"\n'
                           'kind = "ceiling"\nmax = 1\n')
    rule = rules_by_name(load_policy(path))["no system-prompt leaks"]
    assert (rule.kind, rule.metric_ref, rule.threshold) == ("ceiling", "injection.canary_leaks", 1.0)


def test_a_policy_with_only_extends_is_the_base(tmp_path):
    policy = load_policy(write(tmp_path, 'extends = "tunegate:default"\n'))
    assert [r.name for r in policy.rules] == [r.name for r in load_policy(DEFAULT_POLICY).rules]


@pytest.mark.parametrize(("text", "expected"), [
    ('extends = "missing.toml"\n', r"gate.toml:1: extends: 'missing.toml': no policy file at .*missing.toml"),
    ('extends = "tunegate:strict"\n', r"gate.toml:1: extends: tunegate:strict: unknown packaged policy"),
    ("extends = 3\n", r"gate.toml:1: extends: must be 'tunegate:default' or a path"),
    ('extends = "gate.toml"\n', r"gate.toml:1: extends: 'gate.toml' extends back to itself"),
    ('extends = "tunegate:default"\n[[rules]]\nname = "task accuracy floor"\nmin = "high"\n',
     r"gate.toml:4: rules\[0\].min: \(floor\) 'min' must be a finite number"),
    ('extends = "tunegate:default"\n[[rules]]\nname = "a"\nmetric = "x.y"\nkind = "zero"\n'
     '[[rules]]\nname = "a"\nmetric = "x.z"\nkind = "zero"\n',
     r"gate.toml:7: rules\[1\].name: duplicate rule name 'a' \(also rules\[0\]\)"),
    ('extends = "tunegate:default"\n[gate]\nresample = 5\n', r"gate.toml:3: \[gate\] resample: unknown key"),
])
def test_errors_name_the_file_and_line(tmp_path, text, expected):
    with pytest.raises(PolicyError, match=expected):
        load_policy(write(tmp_path, text))


# -- which policy a run uses -----------------------------------------------------------------------------------
def test_choose_policy_explicit_then_project_then_default(tmp_path):
    suites = tmp_path / "suites"
    suites.mkdir()
    project = write(suites, CHILD)
    assert choose_policy(DEFAULT_POLICY, [suites], tmp_path) == (default_policy(), "--policy")
    assert choose_policy(None, [suites], tmp_path)[0] == project
    assert choose_policy(None, [], tmp_path)[0] == project  # suites/gate.toml under the rootdir
    project.unlink()
    root = write(tmp_path, CHILD)
    assert choose_policy(None, [suites], tmp_path)[0] == root  # gate.toml under the rootdir
    root.unlink()
    path, why = choose_policy(None, [suites], tmp_path)
    assert path == default_policy() and "packaged default" in why


def test_the_builtin_suites_folder_is_never_the_projects(tmp_path):
    path, why = choose_policy(None, [default_policy().parent], tmp_path)
    assert path == default_policy() and "packaged default" in why
