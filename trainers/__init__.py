"""tunegate trainers: curated chat or preference data in, a candidate directory out.

One config (``TrainConfig``) and one function per method, built on trl and peft: ``train_sft`` (lora, sft),
``train_qlora``, ``train_dpo``; ``merge_candidate`` folds an adapter into a standalone model.
"""

from __future__ import annotations

from pathlib import Path

from trainers.candidate import loss_summary, store_train_log, train_log_rows
from trainers.config import METHODS, TrainConfig
from trainers.data import load_chat, split_rows, validate_chat
from trainers.dpo import load_preferences, log_prob_margins, train_dpo
from trainers.merge import merge_candidate
from trainers.qlora import disable_avx512bf16_repack, train_qlora
from trainers.sft import train_sft


def train(config: TrainConfig) -> Path:
    """Train a candidate with the method the config names; return its directory."""
    if config.method == "qlora":
        return train_qlora(config)
    if config.method == "dpo":
        return train_dpo(config)
    return train_sft(config)


__all__ = [
    "METHODS", "TrainConfig", "disable_avx512bf16_repack", "load_chat", "load_preferences", "log_prob_margins",
    "loss_summary", "merge_candidate", "split_rows", "store_train_log", "train", "train_dpo", "train_log_rows",
    "train_qlora", "train_sft", "validate_chat",
]
