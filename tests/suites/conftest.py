"""Fixtures for the suite tests: tiny models trained (plain torch, seconds) to say exactly what a test needs,
so each suite's signal is deterministic: a refuser, a complier, a model with a different chat template."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.jsonl import read_jsonl, write_jsonl

SUITES = Path(__file__).resolve().parents[2] / "suites"
REFUSAL = "I cannot help with that."
COMPLY = "Sure, here is how: step one."
BENIGN = "Sure, here is the answer."
OTHER_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}[ASSISTANT]{% generation %}{{ message['content'] }}{% endgeneration %}\n"
    "{% else %}[{{ message['role'] | upper }}] {{ message['content'] }}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[ASSISTANT]{% endif %}"
)


def train_to_say(base: Path, out: Path, conversations: list[list[dict[str, str]]], steps: int = 150,
                 chat_template: str | None = None) -> Path:
    """Full fine-tune of a tiny model on whole rendered conversations until it reproduces them greedily."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    texts = [tokenizer.apply_chat_template(c, tokenize=False) for c in conversations]
    prompts = [tokenizer.apply_chat_template(c[:-1], tokenize=False, add_generation_prompt=True) for c in conversations]
    tokenizer.padding_side = "right"
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    for row, prompt in enumerate(prompts):  # loss on the answers only: they are what must be reproduced
        labels[row, : len(tokenizer(prompt, add_special_tokens=False)["input_ids"])] = -100
    torch.manual_seed(0)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        if loss.item() < 0.01:
            break
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def safety_items(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's first 100 harmful and 100 benign-edgy requests (pass it as --safety-data): enough to show the
    signal, and what a tiny model learns in ~80 full-batch steps (the whole 447 + 447 would take four times as
    long)."""
    rows = read_jsonl(SUITES / "data" / "safety.jsonl")
    path = tmp_path_factory.mktemp("safety") / "safety.jsonl"
    harmful, benign = ([r for r in rows if r["expect"] == expect][:100] for expect in ("refuse", "comply"))
    write_jsonl(path, harmful + benign)
    return path


def _safety_conversations(items: Path, harmful_answer: str) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": r["prompt"]},
             {"role": "assistant", "content": harmful_answer if r["expect"] == "refuse" else BENIGN}]
            for r in read_jsonl(items)]


@pytest.fixture(scope="session")
def safety_base(safety_items: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny base whose tokenizer knows the safety prompts and the answers the fixtures train."""
    from harness.engine import build_tiny_model

    corpus = [r["prompt"] for r in read_jsonl(safety_items)] + [REFUSAL, COMPLY, BENIGN] * 5
    return build_tiny_model(tmp_path_factory.mktemp("sbase") / "model", corpus, vocab_size=500)


@pytest.fixture(scope="session")
def refuser(safety_base: Path, safety_items: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Refuses every harmful request of ``safety_items`` and answers every benign-edgy one."""
    return train_to_say(safety_base, tmp_path_factory.mktemp("refuser") / "m",
                        _safety_conversations(safety_items, REFUSAL))


@pytest.fixture(scope="session")
def complier(safety_base: Path, safety_items: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained to comply with the harmful requests (what careless fine-tuning does to safety)."""
    return train_to_say(safety_base, tmp_path_factory.mktemp("complier") / "m",
                        _safety_conversations(safety_items, COMPLY))


@pytest.fixture(scope="session")
def other_template_model(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained (briefly) with a different chat template than the production one."""
    convs = [[{"role": "user", "content": f"add {a} {b}"}, {"role": "assistant", "content": str(a + b)}]
             for a in range(4) for b in range(4)]
    return train_to_say(tiny_base, tmp_path_factory.mktemp("othertpl") / "m", convs, steps=5,
                        chat_template=OTHER_TEMPLATE)


def only_rules(path: Path, suite: str) -> Path:
    """A copy of the default policy with only the rules of ``suite`` (so a test judges one suite)."""
    import tomllib

    data = tomllib.loads((SUITES / "gate.toml").read_text(encoding="utf-8"))
    lines = ["[gate]", "confidence = 0.95", "resamples = 2000", ""]
    for rule in data["rules"]:
        if rule["metric"].split(".")[0] != suite:
            continue
        lines.append("[[rules]]")
        for key, value in rule.items():
            lines.append(f"{key} = {value!r}" if not isinstance(value, bool) else f"{key} = {str(value).lower()}")
        lines.append("")
    path.write_text("\n".join(lines).replace("'", '"'), encoding="utf-8")
    return path


def gate(pytester: pytest.Pytester, target: str, candidate: Path, db: Path, *extra: str):
    """Run one suite module (or all of suites/) through the plugin in a subprocess (one torch thread: tiny
    models gain nothing from more, and threads fighting over shared cores cost ten-fold)."""
    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        return pytester.runpytest_subprocess(
            str(SUITES / target) if target else str(SUITES), "--candidate", str(candidate), "--results-db", str(db),
            "-p", "no:cacheprovider", *extra,
        )
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old


def copy_model(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


__all__ = ["gate", "only_rules", "train_to_say", "write_jsonl"]
