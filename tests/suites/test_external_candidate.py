"""A model trained elsewhere (a plain HF directory, no candidate.json) is gated fully once its training data is
given (--train-data, or recorded by `tunegate import --train-data`): it can PROMOTE under the contamination and
prompting suites' rules; without the data it cannot, and both rules say what to pass."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb
import pytest

from harness.engine import (
    DecodingParams,
    file_sha256,
    generate,
    import_model,
    load_import_record,
    load_model,
    render_prompt,
)
from harness.errors import HarnessError
from harness.jsonl import write_jsonl

from .conftest import SUITES, gate, train_to_say

TRAIN_PAIRS = [(a, b) for a in range(10) for b in range(10) if (a + 2 * b) % 3 == 0]  # 34 pairs
EVAL_PAIRS = [(a, b) for a in range(10) for b in range(10) if (a + 2 * b) % 3 == 1][:24]  # none in training


def _conversation(a: int, b: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"add {a} {b}"}, {"role": "assistant", "content": str(a + b)}]


@pytest.fixture(scope="session")
def external_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("external") / "train.jsonl"
    write_jsonl(path, [{"messages": _conversation(a, b)} for a, b in TRAIN_PAIRS])
    return path


@pytest.fixture(scope="session")
def external_model(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fine-tuned outside tunegate: save_pretrained + tokenizer, no manifest."""
    out = train_to_say(tiny_base, tmp_path_factory.mktemp("external") / "model",
                       [_conversation(a, b) for a, b in TRAIN_PAIRS], steps=120)
    assert not (out / "candidate.json").exists()
    return out


@pytest.fixture(scope="session")
def external_eval(external_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Held-out items whose references are the external model's own greedy answers (as the prompting suite
    decodes them): it scores 1.0 zero-shot by construction, the untrained base given few-shot examples cannot."""
    loaded = load_model(external_model, "ref")
    messages = [_conversation(a, b)[:1] for a, b in EVAL_PAIRS]
    outputs = generate(loaded.model, loaded.tokenizer, [render_prompt(loaded.tokenizer, m) for m in messages],
                       DecodingParams(max_new_tokens=16))
    assert all(o.text.strip() for o in outputs)
    path = tmp_path_factory.mktemp("external") / "task.jsonl"
    write_jsonl(path, [{"id": f"e{i}", "messages": m, "answer": o.text}
                       for i, (m, o) in enumerate(zip(messages, outputs, strict=True))])
    return path


def _policy(path: Path) -> Path:
    """The default policy's contamination and prompting rules, nothing else."""
    rules = tomllib.loads((SUITES / "gate.toml").read_text(encoding="utf-8"))["rules"]
    lines = ["[gate]", "confidence = 0.95", "resamples = 2000", ""]
    for rule in rules:
        if rule["metric"].split(".")[0] in ("contamination", "prompting"):
            lines.append("[[rules]]")
            lines += [f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}" for k, v in rule.items()]
            lines.append("")
    path.write_text("\n".join(lines).replace("'", '"'), encoding="utf-8")
    return path


def _gate(pytester, candidate: Path, tiny_base: Path, task: Path, tmp_path: Path, *extra: str):
    return gate(pytester, "test_contamination.py", candidate, tmp_path / "r.duckdb", str(SUITES / "test_prompting.py"),
                "--baseline", str(tiny_base), "--task-data", str(task), "--policy", str(_policy(tmp_path / "p.toml")),
                *extra)


def test_external_model_with_train_data_promotes(pytester, external_model, external_data, external_eval, tiny_base,
                                                 tmp_path):
    result = _gate(pytester, external_model, tiny_base, external_eval, tmp_path, "--train-data", str(external_data))
    result.stdout.fnmatch_lines(["*PROMOTE*"])
    assert result.ret == 0
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    assert sorted(con.execute("SELECT metric, status FROM rule_verdicts WHERE required").fetchall()) == [
        ("leaked", "pass"), ("normalised_match", "pass")]
    assert con.execute("SELECT train_data_sha256, dtype FROM runs").fetchall() == [(file_sha256(external_data),
                                                                                   "float32")]
    assert con.execute("SELECT value FROM metrics WHERE metric = 'leaked'").fetchall() == [(0.0,)]


def test_imported_with_train_data_promotes_without_the_option(pytester, external_model, external_data,
                                                              external_eval, tiny_base, tmp_path):
    imported = import_model(external_model, tmp_path / "imported", train_data=external_data)
    record = load_import_record(imported)
    assert record is not None and record.train_data is not None and record.train_data.rows == len(TRAIN_PAIRS)
    assert record.source_kind == "hf" and record.max_abs_logit_diff <= 1e-4
    assert file_sha256(imported / record.train_data.path) == file_sha256(external_data)
    result = _gate(pytester, imported, tiny_base, external_eval, tmp_path)
    result.stdout.fnmatch_lines(["*PROMOTE*"])
    assert result.ret == 0


def test_without_train_data_it_cannot_promote_and_says_what_to_pass(pytester, external_model, external_eval,
                                                                    tiny_base, tmp_path):
    result = _gate(pytester, external_model, tiny_base, external_eval, tmp_path, "--tunegate-dtype", "bfloat16")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*"])
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    reasons = dict(con.execute("SELECT metric, reason FROM rule_verdicts WHERE required AND status = 'undecided'")
                   .fetchall())
    assert reasons.keys() == {"leaked", "normalised_match"}
    assert reasons["leaked"].startswith("metric 'contamination.leaked' was not recorded for the candidate: ")
    assert reasons["normalised_match"].startswith("suite 'prompting' failed; its metrics cannot be trusted: ")
    assert all("pass --train-data FILE" in r and "tunegate import" in r for r in reasons.values())
    assert con.execute("SELECT dtype, train_data FROM runs").fetchall() == [("bfloat16", None)]  # stored with the run


def test_train_data_contradicting_the_import_record_is_refused(external_model, external_data, tmp_path):
    from harness.session import GateOptions, GateSession

    imported = import_model(external_model, tmp_path / "imported", train_data=external_data)
    other = tmp_path / "other.jsonl"
    write_jsonl(other, [{"messages": _conversation(1, 1)}])
    with pytest.raises(HarnessError, match="differs from the training data .*tunegate_import.json records"):
        GateSession(GateOptions(candidate=imported, train_data=other, policy=SUITES / "gate.toml",
                                db=tmp_path / "r.duckdb"))
    (imported / record_path(imported)).write_text('{"messages": []}\n', encoding="utf-8")
    with pytest.raises(HarnessError, match="missing or changed since the import"):
        GateSession(GateOptions(candidate=imported, policy=SUITES / "gate.toml", db=tmp_path / "r.duckdb"))


def record_path(imported: Path) -> str:
    record = load_import_record(imported)
    assert record is not None and record.train_data is not None
    return record.train_data.path
