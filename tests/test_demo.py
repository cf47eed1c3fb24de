"""The embedded default: the shipped base model answers, and `tunegate demo --fast` runs end to end offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from harness.demo.data import CODES, DECLINE, eval_rows, training_rows
from harness.demo.run import REPLAY_REFUSALS, REPLAY_ROWS, build_base_script, eval_files, locate_base, replay_rows
from harness.errors import HarnessError
from harness.jsonl import read_jsonl

REPO = Path(__file__).resolve().parent.parent
BASE = REPO / "examples" / "base"


def test_shipped_base_loads_and_answers_general_questions():
    from harness.engine import generate, load_model, render_prompt

    loaded = load_model(locate_base(), "base")
    asks = [("What is the capital of France?", "Paris"), ("What is the capital of Japan?", "Tokyo"),
            ("What is the capital of Kenya?", "Nairobi"), ("What is the capital of Peru?", "Lima"),
            ("Uppercase: river", "RIVER"), ("Uppercase: garden", "GARDEN"),
            ("What is 2 + 3?", "5"), ("Answer yes or no: is 80 greater than 12?", "yes")]
    prompts = [render_prompt(loaded.tokenizer, [{"role": "user", "content": q}]) for q, _ in asks]
    outputs = generate(loaded.model, loaded.tokenizer, prompts)
    right = sum(o.text.strip() == a for o, (_, a) in zip(outputs, asks, strict=True))
    assert right >= 6, [o.text for o in outputs]


def test_shipped_base_records_how_it_was_built():
    build = json.loads((BASE / "BUILD.json").read_text())
    assert build["command"].startswith("python examples/build_base.py")
    assert len(build["corpus_sha256"]) == 64
    assert (BASE / "model.safetensors").stat().st_size < 20 * 2**20


@pytest.fixture(scope="module")
def base_corpus_rows() -> list[dict]:
    build = json.loads((BASE / "BUILD.json").read_text())
    return build_base_script().corpus(build["corpus_rows"], seed=build["seed"])


def test_generator_still_emits_the_corpus_the_shipped_base_was_trained_on(base_corpus_rows):
    """The corpus generator redraws any row that holds a gate item, so adding eval items can change what it
    emits; then the shipped weights no longer match their recorded corpus, and the base may have been trained on
    the new items. Whoever grows an eval set must keep this passing (drop the items the corpus holds) or rebuild
    the base."""
    build = json.loads((BASE / "BUILD.json").read_text())
    assert build_base_script().corpus_sha256(base_corpus_rows) == build["corpus_sha256"]


def test_base_corpus_holds_no_item_of_any_gate_set(base_corpus_rows):
    """By the check prepare runs (exact, n-gram, near) over every set the demo's gate uses, regression tasks
    included, not one of the 100,000 rows the base was trained on holds an eval item. The one allowance: rows may
    restate a fact the regression facts task asks about (a near match only: "Name the capital city of France."),
    the knowledge that task probes; the question itself never appears."""
    from harness.demo.run import gate_index

    index = gate_index()
    found = index.scan(base_corpus_rows).by_row()
    kinds = {(index.items[item][0], method) for items in found.values() for item, methods in items.items()
             for method in methods}
    assert kinds == {("facts.jsonl", "near")}, kinds
    facts = {row for row, items in found.items() for item in items if index.items[item][0] == "facts.jsonl"}
    assert {base_corpus_rows[row]["skill"] for row in facts} <= {"facts", "formats", "injection"}
    held = [base_corpus_rows[row] for row in found]
    assert not any(build_base_script().holds_gate_item(row) for row in held)


def test_missing_base_is_a_harness_error_naming_the_fix(tmp_path):
    with pytest.raises(HarnessError, match="build_base.py"):
        locate_base(tmp_path)


def test_eval_items_are_held_out_paraphrases_of_training_codes():
    train_users = {r["messages"][1]["content"] for r in training_rows()}
    items = eval_rows()
    assert not train_users & {e["messages"][1]["content"] for e in items}
    assert {e["answer"] for e in items} == {c for c, *_ in CODES} | {DECLINE}


def test_committed_task_eval_matches_demo_data():
    committed = [json.loads(line) for line in (REPO / "suites/data/task_eval.jsonl").read_text().splitlines() if line]
    assert committed == eval_rows()


def test_demo_data_step_drops_training_rows_that_overlap_any_eval_set(tmp_path):
    from harness.jsonl import write_jsonl
    from trainers.prepare import PrepareConfig, prepare

    leaked = dict(eval_rows()[0])
    leaked["messages"] = [*leaked["messages"], {"role": "assistant", "content": leaked["answer"]}]
    rows = [*training_rows(), *replay_rows(150), leaked]
    write_jsonl(tmp_path / "raw.jsonl", rows)
    task_eval = tmp_path / "eval.jsonl"
    write_jsonl(task_eval, eval_rows())
    files = eval_files(task_eval)
    assert any(f.parent.name == "regression" for f in files) and any(f.name == "safety.jsonl" for f in files)
    result = prepare([tmp_path / "raw.jsonl"], PrepareConfig(out=str(tmp_path / "out"), evals=[str(f) for f in files]))
    acc = result.accounting
    assert acc["rows_in"] == len(rows) and acc["contaminated"] == 1  # the leaked row only: replay is drawn clean
    train = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert leaked["id"] not in {r.get("id") for r in train}
    assert any(r["category"] == "general" for r in train)


@pytest.mark.slow
def test_demo_fast_end_to_end(tmp_path):
    keep = tmp_path / "demo"
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", CI="1")
    done = subprocess.run([sys.executable, "-c", "from harness.cli import main; main()", "demo", "--fast",
                           "--keep", str(keep)], env=env, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(keep / "tunegate.duckdb"), read_only=True)
    decisions = dict(con.execute(
        "SELECT split_part(r.candidate_path, '/', -1), d.decision FROM decisions d JOIN runs r ON r.id = d.run_id"
    ).fetchall())
    assert len(decisions) == 2 and set(decisions.values()) <= {"PROMOTE", "REJECT"}
    promoted = con.execute("SELECT candidate_id FROM promotions WHERE alias = 'production'").fetchall()
    assert len(promoted) == sum(d == "PROMOTE" for d in decisions.values())
    assert "7. history" in done.stdout
    assert "Expect both candidates to be REJECTed" in done.stdout  # --fast says what outcome to expect
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d train: \d+/\d+ steps", done.stderr, re.MULTILINE)  # progress
    assert (keep / "report-A.html").read_text().startswith("<!doctype html>")


def _gate_prompts() -> list[str]:
    """The requests of the gate's safety and format suites."""
    return [row["prompt"] for name in ("safety.jsonl", "format_eval.jsonl")
            for row in read_jsonl(REPO / "suites" / "data" / name)]


def test_demo_training_requests_are_not_rewordings_of_eval_requests():
    """Declines, refusals and replayed rows the demo trains on are other requests than the safety suite's and the
    task's held-out ones: no training request shares more than a third of its content words with any of them."""
    from harness.demo.data import HARMFUL_TRAIN, NOT_CODABLE_EVAL, NOT_CODABLE_TRAIN
    from harness.scorers import rewordings
    from trainers.contamination import prompt_side

    evals = _gate_prompts() + NOT_CODABLE_EVAL
    replayed = replay_rows(REPLAY_ROWS, refusals=REPLAY_REFUSALS)
    trained = NOT_CODABLE_TRAIN + HARMFUL_TRAIN + [prompt_side(r) for r in replayed]
    close = [(trained[i], evals[j]) for i, j in rewordings(trained, evals)]
    assert not close, close


def test_safety_mix_rewords_no_gate_request_even_at_a_quarter_of_shared_words():
    """The handwritten safety pairs are held to a stricter bar than generated rows: no request of either side shares
    even a quarter of its content words with a safety, format or held-out decline request."""
    from harness.demo.data import NOT_CODABLE_EVAL, SAFETY_PAIRS
    from harness.scorers import rewordings

    asks = [ask for harmful, harmless, _ in SAFETY_PAIRS for ask in (harmful, harmless)]
    evals = _gate_prompts() + NOT_CODABLE_EVAL
    close = [(asks[i], evals[j]) for i, j in rewordings(asks, evals, threshold=0.25)]
    assert not close, close


def test_safety_rows_refuse_each_harmful_request_and_answer_its_twin():
    from harness.demo.data import GENERAL_ANSWERS, REFUSAL, SAFETY_PAIRS, safety_rows
    from harness.scorers import is_refusal

    rows = safety_rows()
    assert len(rows) == 2 * len(SAFETY_PAIRS) >= 200
    assert all(r["messages"][0]["role"] == "user" for r in rows)  # no system prompt: the general assistant
    refused = [r for r in rows if r["id"].endswith("-refuse")]
    assert {r["messages"][-1]["content"] for r in refused} == {REFUSAL} and is_refusal(REFUSAL)
    answered = [r["messages"][-1]["content"] for r in rows if r["id"].endswith("-answer")]
    assert set(answered) <= set(GENERAL_ANSWERS.values()) and not any(map(is_refusal, answered))


def test_base_corpus_never_rewords_a_gate_request():
    """examples/build_base.py redraws any request that rewords one of the safety or format suites' (with the system
    prompt when that carries the format instruction), so the shipped base (and the demo's replay of its corpus)
    learns the skills, not the eval items."""
    from harness.demo.run import base_corpus
    from harness.scorers import rewordings

    rows = [r for r in base_corpus(4000, seed=0) if r["skill"] in ("refusal", "benign", "formats", "arithmetic")]
    asks = [r["messages"][-2]["content"] for r in rows]
    asks += [" ".join(m["content"] for m in r["messages"][:-1]) for r in rows
             if r["skill"] == "formats" and r["messages"][0]["role"] == "system"]
    assert len(asks) > 2500
    evals = _gate_prompts()
    assert not rewordings(asks, evals)
