"""Supervised fine-tuning (LoRA, QLoRA, full SFT) with trl's SFTTrainer, writing a candidate directory.

Rows are rendered through the base tokenizer's chat template (the one the candidate ships with), the loss
covers assistant tokens only (found by trainers.template, real templates included), and by default examples are
packed padding-free (trl's BFD strategy). Runs that would not change the model are refused (trainers.guards).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from trainers.base import check_paths, drop_printers, lora_config, silence, trainer_args
from trainers.candidate import loss_summary, write_candidate
from trainers.config import TrainConfig
from trainers.data import load_chat, split_rows
from trainers.guards import check_plan, check_trained, weight_sample
from trainers.template import AssistantMasker, assistant_masker, encode_rows

__all__ = ["build_sft_trainer", "load_training_data", "loss_summary", "train_sft"]


def load_training_data(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and val rows: a prepared directory, explicit files, or a held-out split of one file."""
    source = Path(config.train)
    if source.is_dir():
        return load_chat(source / "train.jsonl"), load_chat(source / "val.jsonl")
    rows = load_chat(source)
    if config.val:
        return rows, load_chat(config.val)
    return split_rows(rows, config.val_fraction, config.seed)


def build_sft_trainer(config: TrainConfig, model: Any = None) -> tuple[Any, Any, list[Any], list[Any], Path]:
    """The configured SFTTrainer, ready to train: (trainer, tokenizer, train rows, val rows, work dir).

    Args:
        config: The run's configuration (method lora, qlora or sft).
        model: An already loaded base model; by default loaded from config.base (4-bit for qlora).
    """
    trainer, tokenizer, train_rows, val_rows, work, _ = _build(config, model)
    return trainer, tokenizer, train_rows, val_rows, work


def _build(config: TrainConfig, model: Any) -> tuple[Any, Any, list[Any], list[Any], Path, AssistantMasker]:
    out = check_paths(config)  # before the heavy imports: bad paths fail at once
    silence(config)
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from trainers.base import callbacks, load_base_model, load_tokenizer

    train_rows, val_rows = load_training_data(config)
    tokenizer = load_tokenizer(config)
    masker = assistant_masker(tokenizer, config.base)  # before the weights load: an unmaskable template fails fast
    train_data = encode_rows(masker, train_rows, config.max_length, "training")
    val_data = encode_rows(masker, val_rows, config.max_length, "validation")
    if model is None:
        model = load_base_model(config)
    work = out / ".work"
    # Rows arrive tokenized with their assistant masks (trainers.template), from which trl builds the labels; trl's
    # own assistant_only_loss would need {% generation %} markers in the template, so it stays off.
    args = SFTConfig(**trainer_args(config, work), packing=config.packing)
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_data),
        eval_dataset=Dataset.from_list(val_data),
        processing_class=tokenizer,
        peft_config=lora_config(config) if config.method in ("lora", "qlora") else None,
        callbacks=callbacks(config),
    )
    drop_printers(trainer)
    return trainer, tokenizer, train_rows, val_rows, work, masker


def train_sft(config: TrainConfig, model: Any = None) -> Path:
    """Train a LoRA/QLoRA adapter or a full model on chat data; write and return the candidate directory.

    Args:
        config: The run's configuration (method lora, qlora or sft).
        model: An already loaded base model; by default loaded from config.base (4-bit for qlora).
    """
    trainer, tokenizer, train_rows, val_rows, work, masker = _build(config, model)
    check_plan(trainer, config, len(train_rows), work)  # refuse a run that would not change the model
    before = weight_sample(trainer.model)
    trainer.train()
    check_trained(trainer, before, work)  # and fail one that did not
    return write_candidate(config, trainer, tokenizer, train_rows, val_rows, work, loss_mask=masker.label)


def train_qlora(config: TrainConfig) -> Path:
    """Train a QLoRA candidate: the SFT recipe over a 4-bit base; the candidate holds only the adapter."""
    if config.method != "qlora":
        raise HarnessError(f"config field 'method' = {config.method!r}; train_qlora needs method = 'qlora'")
    return train_sft(config)  # trainers.base.load_base_model loads the 4-bit base for method qlora
