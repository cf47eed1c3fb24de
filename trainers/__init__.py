"""tunegate trainers: curated chat or preference data in, a candidate directory out."""

from trainers.balance import BalanceReport, balance_report, cap_per_category, is_negative
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
from trainers.prepare import PrepareConfig, PrepareResult, prepare, record_dataset
from trainers.sft import loss_summary, train_sft
from trainers.split import stratified_split
from trainers.validate import Fault, read_records, validate_preference, validate_row


def train(config: TrainConfig):  # type: ignore[no-untyped-def]
    """Train a candidate with the method the config names; return its directory."""
    if config.method in ("lora", "sft"):
        return train_sft(config)
    from harness.errors import HarnessError

    raise HarnessError(f"method '{config.method}' is not available yet; use lora or sft")


__all__ = [
    "METHODS", "BalanceReport", "ContaminationReport", "Fault", "PrepareConfig", "PrepareResult", "TrainConfig",
    "balance_report", "cap_per_category", "cluster_roots", "contamination_check", "exact_duplicates", "is_negative",
    "load_chat", "loss_summary", "near_duplicates", "normalise_content", "prepare", "read_records", "record_dataset",
    "signatures", "similar_pairs", "split_rows", "stratified_split", "train", "train_sft", "validate_chat",
    "validate_preference", "validate_row",
]
