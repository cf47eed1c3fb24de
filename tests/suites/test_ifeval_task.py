"""tg_ifeval, the regression group's instruction-following task: its prompts, its scoring and how it is rendered."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import BUNDLED_TASKS, run_tasks, session_lm

from ..conftest import SUITES

# Outputs of collapsed and over-trained real fine-tunes of SmolLM2-135M-Instruct (and a few more shapes of junk).
JUNK = ["", "\n" * 128, "NOT CODABLE", "not specified", "G40.90", "1. 1. 1. 2. 3.", "1234", "Code: What code?",
        "olicyrapersrapersrapersrapers", "Visit note: this is a clinical coding assistant. Answer with the single "
        "ICD-10-CM code only.", "I can't help with that."]


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"tunegate_{name}", BUNDLED_TASKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return [json.loads(line) for line in (BUNDLED_TASKS / "ifeval.jsonl").read_text(encoding="utf-8").splitlines()]


def test_committed_prompts_are_the_generators_and_use_only_verifiers_without_nltk_data(docs):
    make = _module("make_ifeval")
    assert docs == make.rows()
    assert 60 <= len(docs) <= 100
    used = {i for d in docs for i in d["instruction_id_list"]}
    assert used <= set(make.ALLOWED)
    assert not used & {"length_constraints:number_sentences", "change_case:capital_word_frequency"}


def test_no_junk_output_follows_any_prompt(docs):
    """Every prompt carries an instruction that an empty, junk or off-topic answer fails, so a collapsed model
    scores 0 however short and comma-free its junk is."""
    scoring = _module("tg_ifeval")
    passed = [(d["id"], junk) for d in docs for junk in JUNK
              if scoring.process_results(d, [junk])["prompt_level_loose_acc"]]
    assert not passed


def test_an_answer_that_follows_the_instructions_scores_1(docs):
    scoring = _module("tg_ifeval")
    doc = next(d for d in docs if d["prompt"].startswith("Name three fruits that are rich in vitamin C."))
    assert scoring.process_results(doc, ["* Oranges\n* Kiwis\n* Strawberries"])["prompt_level_strict_acc"]
    assert not scoring.process_results(doc, ["* Oranges\n* Kiwis"])["prompt_level_strict_acc"]


def test_scoring_imports_without_touching_the_network(tmp_path):
    """lm-eval's IFEval module calls nltk.download('punkt_tab') at import when the data is absent; tg_ifeval must
    neither download nor try to (an empty NLTK_DATA makes the data absent; any socket use fails the run)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import socket, sys\n"
        "def refuse(*a, **k):\n"
        "    raise SystemExit('network touched')\n"
        "socket.socket.connect = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "socket.create_connection = refuse\n"
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('tg_ifeval', {str(BUNDLED_TASKS / 'tg_ifeval.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "doc = {'key': 0, 'prompt': 'p', 'instruction_id_list': ['change_case:english_lowercase'], 'kwargs': [{}]}\n"
        "result = module.process_results(doc, ['a lowercase english answer about the weather'])\n"
        "print(result['prompt_level_strict_acc'])\n"
    )
    env = dict(os.environ, NLTK_DATA=str(tmp_path / "no_nltk_data"), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True"


def gate_session(model: Path, db: Path):
    from harness.session import GateOptions, GateSession

    return GateSession(GateOptions(candidate=model, baseline=str(model), db=db, policy=SUITES / "gate.toml"))


def test_ifeval_prompts_get_the_chat_template_and_other_tasks_do_not(tiny_base, tmp_path):
    session = gate_session(tiny_base, tmp_path / "r.duckdb")
    result = run_tasks(session_lm(session, "candidate"), None, ["tg_strings", "tg_ifeval"], limit=3)
    session.abort("test over")
    prompts = {s.task: s.prompt for s in result.samples}
    assert prompts["tg_ifeval"].startswith("<|im_start|>user\n") and prompts["tg_ifeval"].endswith(
        "<|im_end|>\n<|im_start|>assistant\n")
    assert prompts["tg_strings"].startswith("Question: ")
    assert {s.score for s in result.samples if s.task == "tg_ifeval"} <= {0.0, 1.0}
    assert result.primary["tg_ifeval"] == "prompt_level_strict_acc,none"


@pytest.mark.slow
def test_in_process_ifeval_equals_lm_eval_cli_with_chat_template(tiny_base, tmp_path):
    """`lm_eval --apply_chat_template` renders, generates and scores tg_ifeval as the gate's engine does."""
    out = tmp_path / "cli"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
                    f"pretrained={tiny_base},dtype=float32,add_bos_token=False", "--tasks", "tg_ifeval",
                    "--include_path", str(BUNDLED_TASKS), "--device", "cpu", "--batch_size", "16", "--limit", "12",
                    "--apply_chat_template", "--output_path", str(out), "--log_samples"],
                   check=True, env=env, capture_output=True)
    cli = {}
    for path in out.rglob("samples_tg_ifeval_*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            cli[row["doc_id"]] = (row["arguments"]["gen_args_0"]["arg_0"], str(row["filtered_resps"][0]),
                                  float(row["prompt_level_strict_acc"]))
    session = gate_session(tiny_base, tmp_path / "r.duckdb")
    mine = run_tasks(session_lm(session, "candidate"), None, ["tg_ifeval"], limit=12)
    session.abort("test over")
    assert cli == {s.doc_id: (s.prompt, s.output, s.score) for s in mine.samples}
