"""Overfitting guards: a deliberately over-trained run stops early, keeps its best checkpoint, and is flagged."""

from __future__ import annotations

import random

import pytest
import torch

from harness.engine import load_model
from harness.jsonl import write_jsonl
from harness.manifest import load_manifest
from trainers import loss_summary

from .conftest import tiny_config


def _random_answers(n: int, seed: int) -> list[dict]:
    """Prompts with arbitrary answers: memorisable, not learnable, so validation loss must rise."""
    rng = random.Random(seed)
    return [{"messages": [{"role": "user", "content": f"add {rng.randint(0, 9)} {rng.randint(0, 9)}"},
                          {"role": "assistant", "content": str(rng.randint(0, 99))}]} for _ in range(n)]


def _assistant_loss(loaded, rows) -> float:
    """Mean assistant-token loss over all rows, as the trainer's eval_loss computes it for one batch."""
    total, count = 0.0, 0
    for row in rows:
        enc = loaded.tokenizer.apply_chat_template(row["messages"], return_dict=True,
                                                   return_assistant_tokens_mask=True)
        ids = torch.tensor([enc["input_ids"]])
        mask = torch.tensor(enc["assistant_masks"], dtype=torch.bool)
        with torch.no_grad():
            logits = loaded.model(input_ids=ids).logits[0, :-1]
        losses = torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="none")
        total += float(losses[mask[1:]].sum())
        count += int(mask[1:].sum())
    return total / count


@pytest.fixture(scope="module")
def overtrained(tiny_base, tmp_path_factory):
    root = tmp_path_factory.mktemp("overfit")
    write_jsonl(root / "train.jsonl", _random_answers(8, seed=1))
    write_jsonl(root / "val.jsonl", _random_answers(6, seed=2))
    with pytest.warns(UserWarning, match="more than 4 epochs"):
        config = tiny_config(tiny_base, root / "train.jsonl", root / "cand", "sft", val=str(root / "val.jsonl"),
                             epochs=20, learning_rate=1e-2, packing=False, warmup_ratio=0.0,
                             early_stopping_patience=3)
    from trainers import train

    return train(config), root


def test_overtrained_run_is_flagged(overtrained):
    losses = load_manifest(overtrained[0]).losses
    assert losses.overfit, losses
    assert losses.final_val > losses.best_val and losses.gap > 0


def test_early_stopping_keeps_the_best_checkpoint(overtrained):
    path, root = overtrained
    manifest = load_manifest(path)
    steps = [e["step"] for e in _log(path) if "eval_loss" in e]
    assert steps[-1] < 20, "early stopping should end the run before the last epoch"
    assert steps[-1] - manifest.losses.best_step == 3 * (steps[1] - steps[0])
    from harness.jsonl import read_jsonl

    kept = _assistant_loss(load_model(path, "candidate"), read_jsonl(root / "val.jsonl"))
    assert kept == pytest.approx(manifest.losses.best_val, rel=1e-3)


def _log(path):
    from harness.jsonl import read_jsonl

    return read_jsonl(path / "train_log.jsonl")


@pytest.mark.parametrize("train, val, flagged", [
    ([3.0, 2.0, 1.0, 0.5], [3.0, 2.5, 2.8, 3.2], True),    # val turns up while train keeps falling
    ([3.0, 2.0, 1.5, 1.2], [3.0, 2.5, 2.2, 2.0], False),   # both fall
    ([3.0, 2.0, 2.0, 2.1], [3.0, 2.5, 2.6, 2.7], False),   # val rises but train stalled: not memorising
    ([3.0, 2.0, 1.0, 0.5], [3.0, 2.5, 2.51, 2.52], False),  # within the noise allowance
])
def test_loss_summary_flags_only_rising_val_with_falling_train(train, val, flagged):
    history = []
    for step, (t, v) in enumerate(zip(train, val, strict=True), start=1):
        history += [{"step": step, "loss": t}, {"step": step, "eval_loss": v}]
    summary = loss_summary(history)
    assert summary.overfit is flagged
    assert summary.best_val == min(val) and summary.gap == pytest.approx(val[-1] - train[-1])
