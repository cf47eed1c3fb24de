"""DPO: preference tuning with trl's DPOTrainer, a LoRA adapter by default, the reference model implicit.

Data: JSONL rows ``{"prompt": "..." | [messages], "chosen": "...", "rejected": "..."}``, or ``"messages"`` in
place of ``"prompt"``; ``chosen``/``rejected`` may also be a one-turn assistant message list. Rows are rendered
through the base tokenizer's chat template, as at inference. With a LoRA adapter the reference model is the
base itself (the adapter switched off), so no second copy of the weights is held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.jsonl import iter_jsonl
from trainers.base import check_paths, drop_printers, lora_config, silence, trainer_args
from trainers.candidate import write_candidate
from trainers.config import TrainConfig
from trainers.data import ROLES, split_rows
from trainers.guards import check_plan, check_trained, weight_sample


def _answer(path: str | Path, line: int, row: dict[str, Any], key: str) -> list[dict[str, str]]:
    value = row.get(key)
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        if value[0].get("role") != "assistant":
            raise DataError(path, line, f"field '{key}' holds a {value[0].get('role')!r} turn", "it must be assistant")
        value = value[0].get("content")
    if not isinstance(value, str) or not value.strip():
        raise DataError(path, line, f"field '{key}' is missing or empty", f'give "{key}": "the answer text"')
    return [{"role": "assistant", "content": value}]


def validate_preference(path: str | Path, line: int, row: dict[str, Any]) -> dict[str, Any]:
    """Check one preference row; return it as a conversational prompt with one-turn chosen/rejected answers."""
    prompt = row.get("prompt", row.get("messages"))
    if isinstance(prompt, str) and prompt.strip():
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt:
        raise DataError(path, line, "field 'prompt' (or 'messages') is missing or empty",
                        'use {"prompt": "...", "chosen": "...", "rejected": "..."}')
    for i, message in enumerate(prompt):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise DataError(path, line, f"prompt[{i}] is not a message with a role in {sorted(ROLES)}")
        if not isinstance(message.get("content"), str) or not message["content"].strip():
            raise DataError(path, line, f"prompt[{i}].content is empty or not a string")
    if prompt[-1]["role"] == "assistant":
        raise DataError(path, line, "the prompt ends with an assistant turn", "end it with the user turn to answer")
    chosen, rejected = _answer(path, line, row, "chosen"), _answer(path, line, row, "rejected")
    if chosen == rejected:
        raise DataError(path, line, "'chosen' and 'rejected' are identical", "a preference needs two different answers")
    out: dict[str, Any] = {"prompt": [{"role": m["role"], "content": m["content"]} for m in prompt],
                           "chosen": chosen, "rejected": rejected}
    if "id" in row:
        out["id"] = row["id"]
    return out


def load_preferences(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a preference JSONL file."""
    rows = [validate_preference(path, line, row) for line, row in iter_jsonl(path)]
    if not rows:
        raise DataError(path, None, "no preference pairs", "the file is empty")
    return rows


def load_preference_data(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and val pairs: a prepared directory, explicit files, or a held-out split of one file."""
    source = Path(config.train)
    if source.is_dir():
        return load_preferences(source / "train.jsonl"), load_preferences(source / "val.jsonl")
    rows = load_preferences(source)
    if config.val:
        return rows, load_preferences(config.val)
    return split_rows(rows, config.val_fraction, config.seed)


def log_prob_margins(model: Any, tokenizer: Any, rows: list[dict[str, Any]]) -> list[float]:
    """Per pair: log p(chosen | prompt) - log p(rejected | prompt), summed over the answer tokens."""
    import torch

    def answer_log_prob(prompt: list[dict[str, str]], answer: list[dict[str, str]]) -> float:
        head = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(prompt + answer, tokenize=False)
        head_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
        ids = tokenizer(full, add_special_tokens=False, return_tensors="pt")["input_ids"].to(model.device)
        with torch.no_grad():
            logits = model(input_ids=ids).logits.float()
        log_probs = torch.log_softmax(logits[0, :-1], dim=-1).gather(1, ids[0, 1:, None])[:, 0]
        return float(log_probs[len(head_ids) - 1:].sum())

    was_training = model.training
    model.eval()
    try:
        return [answer_log_prob(r["prompt"], r["chosen"]) - answer_log_prob(r["prompt"], r["rejected"]) for r in rows]
    finally:
        model.train(was_training)


def train_dpo(config: TrainConfig) -> Path:
    """Train a DPO candidate (LoRA adapter over the base, the base as implicit reference); return its directory."""
    out = check_paths(config)  # before the heavy imports: bad paths fail at once
    silence(config)
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from trainers.base import callbacks, load_base_model, load_tokenizer

    train_rows, val_rows = load_preference_data(config)
    tokenizer = load_tokenizer(config)
    model = load_base_model(config)
    work = out / ".work"
    keys = ("prompt", "chosen", "rejected")
    trainer = DPOTrainer(
        model=model,
        ref_model=None,
        args=DPOConfig(**trainer_args(config, work), beta=config.beta),
        train_dataset=Dataset.from_list([{k: r[k] for k in keys} for r in train_rows]),
        eval_dataset=Dataset.from_list([{k: r[k] for k in keys} for r in val_rows]),
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=callbacks(config),
    )
    drop_printers(trainer)
    check_plan(trainer, config, len(train_rows), work)  # refuse a run that would not change the model
    before = weight_sample(trainer.model)
    trainer.train()
    check_trained(trainer, before, work)  # and fail one that did not
    return write_candidate(config, trainer, tokenizer, train_rows, val_rows, work)
