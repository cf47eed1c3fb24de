"""DPO: preference data is validated by line, and training widens the chosen-vs-rejected log-prob margin."""

from __future__ import annotations

import json
from statistics import mean

import pytest

from harness.engine import load_model
from harness.errors import DataError
from harness.jsonl import read_jsonl
from trainers import load_preferences, log_prob_margins


def test_dpo_increases_chosen_vs_rejected_margin_on_its_training_data(dpo_candidate, tiny_base):
    rows = read_jsonl(dpo_candidate / "data" / "train.jsonl")
    base = load_model(tiny_base, "baseline")
    tuned = load_model(dpo_candidate, "candidate")
    before = log_prob_margins(base.model, base.tokenizer, rows)
    after = log_prob_margins(tuned.model, tuned.tokenizer, rows)
    assert mean(after) > mean(before) + 0.5, (mean(before), mean(after))
    assert sum(a > b for a, b in zip(after, before, strict=True)) > 0.8 * len(rows)


def test_dpo_manifest_records_the_preference_run(dpo_candidate):
    manifest = json.loads((dpo_candidate / "candidate.json").read_text())
    assert manifest["method"] == "dpo" and manifest["adapter_dir"] == "adapter"
    assert manifest["config"]["beta"] == 0.1
    assert manifest["train_data"]["rows"] + manifest["val_data"]["rows"] == 20


@pytest.mark.parametrize("row, fault", [
    ({"chosen": "a", "rejected": "b"}, "'prompt'"),
    ({"prompt": "q", "chosen": "", "rejected": "b"}, "'chosen'"),
    ({"prompt": "q", "chosen": "a", "rejected": "a"}, "identical"),
    ({"prompt": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x"}], "chosen": "a",
      "rejected": "b"}, "ends with an assistant turn"),
    ({"messages": [{"role": "user", "content": "q"}], "chosen": [{"role": "user", "content": "a"}],
      "rejected": "b"}, "must be assistant"),
])
def test_bad_preference_rows_name_file_line_and_field(tmp_path, row, fault):
    path = tmp_path / "prefs.jsonl"
    path.write_text(json.dumps({"prompt": "ok", "chosen": "a", "rejected": "b"}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=fault) as info:
        load_preferences(path)
    assert info.value.line == 2 and str(path) in str(info.value)


def test_messages_and_message_lists_are_accepted(tmp_path):
    path = tmp_path / "prefs.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}],
                                "chosen": [{"role": "assistant", "content": "a"}], "rejected": "b"}) + "\n")
    [row] = load_preferences(path)
    assert row["prompt"][1] == {"role": "user", "content": "q"}
    assert row["chosen"] == [{"role": "assistant", "content": "a"}]
