"""tunegate trainers: curated chat or preference data in, a candidate directory out.

Data preparation (``prepare``: validate, normalise, dedupe, PII scrub, contamination check, balance, split) and one
config (``TrainConfig``) with one function per method, built on trl and peft: ``train_sft`` (lora, sft),
``train_qlora``, ``train_dpo``; ``merge_candidate`` folds an adapter into a standalone model. ``assistant_masker``
finds the assistant turns of real chat templates; ``plan_steps`` is the step plan the no-op guards check.
"""

from __future__ import annotations

from pathlib import Path

from trainers.balance import BalanceReport, balance_report, cap_per_category, is_negative
from trainers.candidate import loss_summary, store_train_log, train_log_rows
from trainers.config import METHODS, TrainConfig
from trainers.contamination import ContaminationReport, contamination_check
from trainers.data import load_chat, split_rows, validate_chat
from trainers.dedupe import (
    cluster_roots,
    exact_duplicates,
    near_duplicates,
    normalise_content,
    signatures,
    similar_pairs,
)
from trainers.dpo import load_preferences, log_prob_margins, train_dpo
from trainers.guards import MIN_STEPS, StepPlan, plan_steps
from trainers.merge import merge_candidate
from trainers.prepare import PrepareConfig, PrepareResult, prepare, record_dataset
from trainers.qlora import disable_avx512bf16_repack
from trainers.sft import train_qlora, train_sft
from trainers.split import stratified_split
from trainers.template import AssistantMasker, assistant_masker, insert_markers
from trainers.validate import Fault, read_records, validate_preference, validate_row


def train(config: TrainConfig) -> Path:
    """Train a candidate with the method the config names; return its directory."""
    if config.method == "qlora":
        return train_qlora(config)
    if config.method == "dpo":
        return train_dpo(config)
    return train_sft(config)


__all__ = [
    "METHODS", "MIN_STEPS", "AssistantMasker", "BalanceReport", "ContaminationReport", "Fault", "PrepareConfig",
    "PrepareResult", "StepPlan", "TrainConfig", "assistant_masker", "balance_report", "cap_per_category",
    "cluster_roots", "contamination_check", "disable_avx512bf16_repack", "insert_markers", "plan_steps",
    "exact_duplicates", "is_negative", "load_chat", "load_preferences", "log_prob_margins", "loss_summary",
    "merge_candidate", "near_duplicates", "normalise_content", "prepare", "read_records", "record_dataset",
    "signatures", "similar_pairs", "split_rows", "store_train_log", "stratified_split", "train", "train_dpo",
    "train_log_rows", "train_qlora", "train_sft", "validate_chat", "validate_preference", "validate_row",
]
