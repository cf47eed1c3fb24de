"""The contamination suite flags an eval item planted in the training data, and only that one, as data preparation
does."""

from __future__ import annotations

import duckdb

from harness.jsonl import read_jsonl, write_jsonl
from trainers import contamination_check

from .conftest import gate, only_rules


def test_planted_eval_item_is_flagged(pytester, lora_candidate, tmp_path):
    train = read_jsonl(lora_candidate / "data" / "train.jsonl")
    planted = train[3]
    items = [{"id": f"clean-{i}", "prompt": f"What is the sum of {i} and {i + 20}, written in words?",
              "answer": str(2 * i + 20)} for i in range(6)]
    items.append({"id": "planted", "messages": planted["messages"][:-1], "answer": planted["messages"][-1]["content"]})
    task = tmp_path / "task.jsonl"
    write_jsonl(task, items)
    db = tmp_path / "r.duckdb"
    policy = only_rules(tmp_path / "c.toml", "contamination")
    result = gate(pytester, "test_contamination.py", lora_candidate, db, "--task-data", str(task),
                  "--policy", str(policy))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*no eval item in training data: fail*"])
    con = duckdb.connect(str(db), read_only=True)
    flagged = con.execute("SELECT example_id, output FROM samples WHERE metric = 'overlap' AND score = 1").fetchall()
    assert flagged == [("task/planted", "exact,ngram")]  # a 3-word prompt is too short for near
    copies = [i for i, row in enumerate(train) if row["messages"] == planted["messages"]]
    reference = con.execute("SELECT reference FROM samples WHERE example_id = 'task/planted'").fetchone()[0]
    rows = ",".join(map(str, copies))
    assert reference == f"exact {len(copies)}: {rows}; ngram {len(copies)}: {rows}"
    # data preparation finds the same item with the same methods (one definition: ContaminationIndex)
    prepared = contamination_check(train, [task])
    assert {label for labels in prepared.hits.values() for label in labels} == {"task.jsonl#planted (exact)",
                                                                                 "task.jsonl#planted (13-gram)"}
    assert sorted(prepared.hits) == copies
    assert con.execute("SELECT count(*) FROM samples WHERE metric = 'overlap'").fetchone()[0] > 100  # every set
    assert con.execute("SELECT count(*) FROM metrics WHERE metric = 'mink_excess_max'").fetchone()[0] == 1


def test_without_manifest_contamination_is_unknown_and_blocks(pytester, tiny_base, tmp_path):
    policy = only_rules(tmp_path / "c.toml", "contamination")
    result = gate(pytester, "test_contamination.py::test_training_data_overlap", tiny_base, tmp_path / "r.duckdb",
                  "--baseline", str(tiny_base), "--policy", str(policy))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*REJECT*", "*no eval item in training data: undecided*not recorded*"])
