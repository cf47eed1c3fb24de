from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.errors import HarnessError
from harness.store import Store
from trainers import PrepareConfig, TrainConfig, prepare, record_dataset
from trainers.sft import load_training_data

from .conftest import chat

LONG = ("please summarise the discharge letter for the patient who was admitted with community acquired "
        "pneumonia treated with amoxicillin and clarithromycin for five days and discharged home on day six with "
        "a follow up appointment in the respiratory clinic in six weeks and a repeat chest radiograph to confirm "
        "resolution of the right lower lobe consolidation seen on admission")
EVAL_PROMPT = ("which antibiotic is first line for a penicillin allergic adult with moderate severity community "
               "acquired pneumonia according to the national guideline")


def _distinct(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    vocab = [f"term{i}" for i in range(2000)]
    rows = []
    for i in range(n):
        answer = "I'm sorry, but I can't help with that." if i % 10 == 0 else " ".join(rng.sample(vocab, 8))
        rows.append(chat(" ".join(rng.sample(vocab, 20)), answer, id=f"r{i}", category="a" if i % 3 else "b"))
    return rows


@pytest.fixture
def mixed(make_file, tmp_path):
    rows: list = _distinct(40)
    rows += [dict(rows[1], id="dup1"), dict(rows[2], id="dup2")]                       # 2 exact duplicates
    rows += [chat(LONG, "ok", id="long", category="a"),
             chat(LONG.replace("five days", "5 days,").upper(), "ok", id="near", category="a")]
    rows += [chat("contact me at alice@example.com", "noted", id="pii1", category="b"),
             chat("my card is 4111 1111 1111 1111", "noted", id="pii2", category="b")]
    rows += [chat(f"context: {EVAL_PROMPT}", "clarithromycin", id="leak", category="a")]
    rows += ["{broken", {"messages": [{"role": "user", "content": "no answer"}]}, dict(rows[5], id="r5")]
    path = make_file(rows)
    evals = make_file([{"id": "e1", "prompt": EVAL_PROMPT, "answer": "clarithromycin"}], "eval.jsonl")
    return path, evals


def test_accounting_identity_on_a_mixed_file(mixed, tmp_path):
    path, evals = mixed
    result = prepare([path], PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True, pii="drop",
                                           evals=[str(evals)], cap_per_category=20, seed=1))
    acc = result.accounting
    assert acc["rows_in"] == 50
    assert (acc["invalid"], acc["duplicates"], acc["near_duplicates"], acc["pii_dropped"], acc["contaminated"]) == \
        (3, 2, 1, 2, 1)
    assert acc["capped"] == 7  # category 'a' reaches the cap with 26 distinct rows + LONG
    assert acc["rows_in"] == sum(acc[k] for k in ("kept", "invalid", "duplicates", "near_duplicates",
                                                 "pii_dropped", "contaminated", "capped"))
    assert acc["kept"] == acc["train"] + acc["val"]
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == 50 - acc["kept"]
    assert all(r["file"] == str(path) and r["line"] >= 1 and r["reason"] for r in rejects)
    assert {r["line"] for r in rejects if r["stage"] == "contaminated"} == {47}


def test_pii_is_redacted_and_never_written_raw(mixed, tmp_path):
    path, _ = mixed
    out = tmp_path / "out"
    db = tmp_path / "t.duckdb"
    result = prepare([path], PrepareConfig(out=str(out), skip_invalid=True))
    record_dataset(Store(db), result)
    assert result.report["pii"]["counts"] == {"credit_card": 1, "email": 1}
    texts = "".join(p.read_text() for p in out.iterdir())
    assert "[EMAIL]" in texts and "[CREDIT_CARD]" in texts
    assert "alice@example.com" not in texts and "4111 1111 1111 1111" not in texts
    columns, rows = Store(db).query("SELECT * FROM datasets")
    assert "alice@example.com" not in json.dumps([list(r) for r in rows], default=str)
    stored = dict(zip(columns, rows[0], strict=True))
    assert stored["train_sha256"] == result.report["outputs"]["train.jsonl"]["sha256"]
    assert stored["rows_in"] == 50 and json.loads(stored["pii_counts"]) == {"credit_card": 1, "email": 1}


def test_fail_on_contamination_lists_the_rows(mixed, tmp_path):
    path, evals = mixed
    with pytest.raises(HarnessError, match=r"1 training row\(s\) overlap.*in\.jsonl:47 overlaps eval\.jsonl#e1"):
        prepare([path], PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True, evals=[str(evals)],
                                      fail_on_contamination=True))


def test_trainer_reads_the_prepared_directory(mixed, tmp_path):
    path, _ = mixed
    result = prepare([path], PrepareConfig(out=str(tmp_path / "out"), skip_invalid=True, seed=2))
    train, val = load_training_data(TrainConfig(base="unused", train=str(result.out), out=str(tmp_path / "c")))
    assert (len(train), len(val)) == (result.accounting["train"], result.accounting["val"])
    assert val and all(r["messages"][-1]["role"] == "assistant" for r in train + val)
    # the candidate's copy of the data hashes like the prepared file, so manifests join the datasets table
    from harness.engine import file_sha256
    from harness.jsonl import write_jsonl

    write_jsonl(tmp_path / "copy.jsonl", train)
    assert file_sha256(tmp_path / "copy.jsonl") == result.report["outputs"]["train.jsonl"]["sha256"]


def test_cli_prepare(mixed, tmp_path):
    path, evals = mixed
    db = tmp_path / "cli.duckdb"
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["data", "prepare", str(path), "--out", str(out), "--skip-invalid",
                                   "--eval", str(evals), "--db", str(db), "--val-fraction", "0.15"])
    assert res.exit_code == 0, res.output
    assert "rows_in" in res.output and "contaminated" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["accounting"]["contaminated"] == 1 and report["config"]["val_fraction"] == 0.15
    assert report["contamination"]["methods"]["ngram"] == {"eval_items": 1, "rows": 1}
    assert report["contamination"]["near"] == 0.7
    assert Store(db).query("SELECT count(*) FROM datasets")[1] == [(1,)]


def test_cli_invalid_without_skip_exits_with_the_fault(mixed, tmp_path):
    path, _ = mixed
    res = CliRunner().invoke(app, ["data", "prepare", str(path), "--out", str(tmp_path / "o"), "--no-db"])
    assert res.exit_code != 0
    assert isinstance(res.exception, HarnessError) and ":48: invalid JSON" in str(res.exception)
