"""Hostile and malformed input: every loader either accepts the input or raises a HarnessError that names the
file (and the line where there is one) — never a bare traceback, never a silent skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import CandidateError, DataError, HarnessError, PolicyError
from harness.evalsets import load_eval_set
from harness.gate import load_policy
from harness.jsonl import read_jsonl
from harness.manifest import load_manifest
from trainers.data import load_chat

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
json_values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)), max_leaves=12)
role = st.one_of(st.sampled_from(["system", "user", "assistant", "tool", ""]), json_values)
message = st.one_of(json_values, st.fixed_dictionaries({"role": role, "content": st.one_of(st.text(max_size=20), json_values)}))
chat_row = st.one_of(
    json_values,
    st.fixed_dictionaries({"messages": st.one_of(json_values, st.lists(message, max_size=4))},
                          optional={"id": json_values, "category": json_values}),
    st.fixed_dictionaries({"prompt": st.one_of(st.text(max_size=20), json_values)},
                          optional={"id": json_values, "answer": json_values, "category": json_values}),
)
line = st.one_of(chat_row.map(lambda v: json.dumps(v, allow_nan=True)), st.text(max_size=30),
                 st.binary(max_size=30).map(lambda b: b.decode("latin-1")))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per module: each hypothesis example overwrites the same input file."""
    return tmp_path_factory.mktemp("hostile")


def _assert_names_where(exc: HarnessError, path: Path, lines: int | None = None) -> None:
    text = str(exc)
    assert str(path) in text, text
    if isinstance(exc, DataError) and exc.line is not None:
        assert f"{path}:{exc.line}:" in text and (lines is None or 1 <= exc.line <= lines)


@pytest.mark.parametrize("loader", [read_jsonl, load_eval_set, load_chat], ids=["jsonl", "evalset", "chat"])
@SETTINGS
@given(lines=st.lists(line, max_size=6), raw=st.binary(max_size=40))
def test_jsonl_loaders_accept_or_name_file_and_line(scratch, loader, lines, raw):
    path = scratch / "input.jsonl"
    body = "\n".join(lines).encode("utf-8", errors="surrogatepass") + raw
    path.write_bytes(body)
    try:
        loader(path)
    except HarnessError as exc:
        _assert_names_where(exc, path, body.count(b"\n") + 1)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, "nan" if value != value else repr(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return '""'


toml_scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(), st.text(max_size=12))
toml_values = st.recursive(toml_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)), max_leaves=6)
gate_keys = st.sampled_from(["confidence", "resamples", "baseline", "production_template_sha256", "settings",
                             "redact_pii", "bogus"])
rule_keys = st.sampled_from(["kind", "metric", "name", "required", "min", "max", "margin", "other"])
rule_kind = st.sampled_from(["floor", "ceiling", "zero", "ratio", "superiority", "non_inferiority",
                             "category_floor", "nope"])


@st.composite
def policies(draw: st.DrawFn) -> str:
    out = []
    if draw(st.booleans()):
        out.append("[gate]")
        for key in draw(st.lists(gate_keys, unique=True, max_size=4)):
            out.append(f"{key} = {_toml_value(draw(toml_values))}")
    for name in draw(st.lists(st.text("abc", min_size=1, max_size=3), unique=True, max_size=2)):
        out.append(f"[suites.{name}]")
        out.append(f"required = {_toml_value(draw(toml_values))}")
    for _ in range(draw(st.integers(0, 3))):
        out.append("[[rules]]")
        out.append(f"kind = {_toml_value(draw(st.one_of(rule_kind, toml_values)))}")
        out.append(f"metric = {_toml_value(draw(st.one_of(st.just('task.m'), toml_values)))}")
        for key in draw(st.lists(rule_keys, unique=True, max_size=3)):
            if key not in ("kind", "metric"):
                out.append(f"{key} = {_toml_value(draw(toml_values))}")
    if draw(st.booleans()):
        out.append(draw(st.text(max_size=20)))
    return "\n".join(out) + "\n"


@SETTINGS
@given(text=policies())
def test_policy_parser_accepts_or_raises_policy_error(scratch, text):
    path = scratch / "gate.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        assert str(path) in str(exc)
        return
    assert policy.rules and 0.5 <= policy.confidence < 1  # what parses is usable


manifest_fields = st.fixed_dictionaries({}, optional={k: json_values for k in (
    "id", "created_at", "base_model", "base_fingerprint", "method", "config", "train_data", "chat_template_sha256",
    "tokenizer_fingerprint", "weights_fingerprint", "losses", "adapter_dir", "model_dir", "tokenizer_dir")})


@SETTINGS
@given(doc=st.one_of(manifest_fields.map(json.dumps), json_values.map(json.dumps), st.text(max_size=40)),
       raw=st.binary(max_size=8))
def test_manifest_loader_accepts_or_raises_candidate_error(scratch, doc, raw):
    root = scratch
    path = root / "candidate.json"
    path.write_bytes(doc.encode("utf-8", errors="surrogatepass") + raw)
    try:
        load_manifest(root)
    except CandidateError as exc:
        assert str(path) in str(exc)


# Regressions found while writing the properties above (each was a bare traceback before).
@pytest.mark.parametrize("content, fault", [
    ('{"messages": [{"role": ["user"], "content": "x"}]}', "role"),         # unhashable role: TypeError
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),                   # RecursionError
    ('{"id": ' + "9" * 5000 + "}", "invalid JSON"),                          # int digit limit: ValueError
    (b"\xff\xfe{}".decode("latin-1"), "invalid UTF-8"),
])
def test_jsonl_regressions(tmp_path, content, fault):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'
                      + content + "\n").encode("latin-1" if "\xff" in content else "utf-8"))
    with pytest.raises(DataError, match=rf"{path}:2: .*{fault}"):
        load_chat(path)


@pytest.mark.parametrize("body, fault", [
    ('gate = 5\n[[rules]]\nkind="floor"\nmetric="t.m"\nmin=1\n', "gate: must be a table"),
    ('[gate]\nresamples = "many"\n[[rules]]\nkind="floor"\nmetric="t.m"\nmin=1\n', "resamples: must be an integer"),
    ('[gate]\nresamples = 5\n[[rules]]\nkind="floor"\nmetric="t.m"\nmin=1\n', "resamples: must be an integer in [100, 1000000], got 5"),
    ('suites = [1]\n[[rules]]\nkind="floor"\nmetric="t.m"\nmin=1\n', "suites: must be tables"),
    ('rules = 3\n', "rules: must be an array"),
    ('[[rules]]\nkind=["floor"]\nmetric="t.m"\nmin=1\n', "kind"),
    ('[[rules]]\nkind="floor"\nmetric="t.m"\nmin=nan\n', "finite"),
    ('[[rules]]\nkind="superiority"\nmetric="t.m"\nmargin=true\n', "margin"),
    ('[gate]\nredact_pii = "yes"\n[[rules]]\nkind="floor"\nmetric="t.m"\nmin=1\n', "redact_pii: must be true or false"),
])
def test_policy_regressions(tmp_path, body, fault):
    path = tmp_path / "gate.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PolicyError, match=str(path)) as info:
        load_policy(path)
    assert fault in str(info.value)


def test_policy_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_bytes(b'[[rules]]\nkind="floor"\n# caf\xe9\nmetric="t.m"\nmin=1\n')
    with pytest.raises(PolicyError, match=rf"{path}:3: invalid UTF-8"):
        load_policy(path)


@pytest.mark.parametrize("body, fault", [
    (b"[1, 2]", "must be a JSON object"),
    (b'{"id": "x"\xff}', "invalid UTF-8"),
    (b"[" * 100_000, "invalid JSON"),
])
def test_manifest_regressions(tmp_path, body, fault):
    (tmp_path / "candidate.json").write_bytes(body)
    with pytest.raises(CandidateError, match=fault):
        load_manifest(tmp_path)
