from __future__ import annotations

import json

import pytest

from harness.errors import DataError
from trainers import PrepareConfig, prepare, read_records

from .conftest import GOOD, chat

GOOD_LINE = json.dumps(GOOD)


@pytest.mark.parametrize("line,fault", [
    ('{"messages": [', "invalid JSON"),
    ('[1, 2]', "expected a JSON object"),
    ('{"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "yo"}]}', "role = 'robot'"),
    ('{"messages": [{"content": "hi"}, {"role": "assistant", "content": "yo"}]}', "role = None"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', "no assistant turn"),
    ('{"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "yo"}]}', "content is empty"),
    ('{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}, '
     '{"role": "assistant", "content": "b"}]}', "system turn after the first"),
    ('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, '
     '{"role": "user", "content": "c"}]}', "does not end with an assistant turn"),
    ('{"messages": []}', "non-empty list"),
])
def test_each_fault_is_named_with_file_and_line(make_file, line, fault):
    path = make_file([GOOD_LINE, line])
    records, faults = read_records([path])
    assert len(records) == 1
    assert len(faults) == 1
    assert (faults[0].file, faults[0].line) == (str(path), 2)
    assert fault in faults[0].reason


def test_bad_utf8_is_located(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD_LINE.encode() + b"\n" + b'{"messages": "\xff\xfe"}\n')
    _, faults = read_records([path])
    assert faults[0].line == 2 and faults[0].reason.startswith("invalid UTF-8")


def test_duplicate_ids_across_files(make_file):
    a = make_file([chat("q1", "a1", id="x")], "a.jsonl")
    b = make_file([chat("q2", "a2", id="x")], "b.jsonl")
    records, faults = read_records([a, b])
    assert len(records) == 1
    assert faults[0].file == str(b) and f"first at {a}:1" in faults[0].reason


def test_without_skip_invalid_the_error_names_file_line_and_fix(make_file, tmp_path):
    path = make_file([GOOD_LINE, '{"messages": [{"role": "user", "content": "hi"}]}', "nope"])
    with pytest.raises(DataError, match=r"in\.jsonl:2: no assistant turn; 1 more faulty row.*--skip-invalid"):
        prepare([path], PrepareConfig(out=str(tmp_path / "out")))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("row,fault", [
    ({"prompt": "q", "chosen": "a", "rejected": "a"}, "identical"),
    ({"prompt": "q", "chosen": "a"}, "missing field 'rejected'"),
    ({"prompt": "", "chosen": "a", "rejected": "b"}, "'prompt' is empty"),
    ({"chosen": "a", "rejected": "b"}, "needs a 'prompt'"),
    ({"prompt": "q", "chosen": [{"role": "user", "content": "a"}], "rejected": "b"}, "must be an assistant message"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x"}], "chosen": "a",
      "rejected": "b"}, "ends with an assistant turn"),
])
def test_preference_faults(make_file, row, fault):
    good = {"prompt": "q", "chosen": "a", "rejected": "b"}
    records, faults = read_records([make_file([good, row])])
    assert len(records) == 1 and records[0].kind == "preference"
    assert fault in faults[0].reason and faults[0].line == 2


def test_mixed_kinds_are_a_fault(make_file):
    _, faults = read_records([make_file([GOOD, {"prompt": "q", "chosen": "a", "rejected": "b"}])])
    assert "preference row in a chat dataset" in faults[0].reason


def test_parquet_csv_and_json_are_read(tmp_path):
    from datasets import Dataset

    rows = [chat(f"question {i}", f"answer {i}", category="c") for i in range(3)]
    Dataset.from_list(rows).to_parquet(str(tmp_path / "d.parquet"))
    (tmp_path / "d.json").write_text(json.dumps(rows))
    Dataset.from_list([{"messages": json.dumps(r["messages"]), "category": "c"} for r in rows]).to_csv(
        str(tmp_path / "d.csv"), index=False)
    for name in ("d.parquet", "d.json", "d.csv"):
        records, faults = read_records([tmp_path / name])
        assert not faults, name
        assert [r.row["messages"][0]["content"] for r in records] == ["question 0", "question 1", "question 2"], name


def test_over_long_example_uses_real_tokenizer_and_template(make_file, tiny_base, tmp_path):
    path = make_file([chat("add 1 2", "3"), chat("add 1 2 " * 60, "3")])
    result = prepare([path], PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True,
                                           tokenizer=str(tiny_base), max_length=64, val_fraction=0.1))
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert result.accounting["invalid"] == 1
    assert rejects[0]["line"] == 2 and "tokens > max length 64" in rejects[0]["reason"]


def test_reasons_never_quote_personal_data(make_file, tmp_path):
    path = make_file([chat("q1", "a1", id="bob@example.com"), chat("q2", "a2", id="bob@example.com")])
    prepare([path], PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True))
    rejects = (tmp_path / "out" / "rejects.jsonl").read_text()
    assert "duplicate id" in rejects and "[EMAIL]" in rejects and "bob@example.com" not in rejects


def test_preference_length_counts_the_longer_answer(make_file, tiny_base, tmp_path):
    ok = {"prompt": "add 1 2", "chosen": "3", "rejected": "4"}
    long_rejected = {"prompt": "add 1 2", "chosen": "3", "rejected": "add 1 2 " * 60}
    result = prepare([make_file([ok, long_rejected])],
                     PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True, tokenizer=str(tiny_base),
                                   max_length=64))
    assert result.accounting["invalid"] == 1 and result.report["kind"] == "preference"
