"""tunegate trainers: curated chat or preference data in, a candidate directory out."""

from trainers.config import METHODS, TrainConfig
from trainers.data import load_chat, split_rows, validate_chat
from trainers.sft import loss_summary, train_sft


def train(config: TrainConfig):  # type: ignore[no-untyped-def]
    """Train a candidate with the method the config names; return its directory."""
    if config.method in ("lora", "sft"):
        return train_sft(config)
    from harness.errors import HarnessError

    raise HarnessError(f"method '{config.method}' is not available yet; use lora or sft")


__all__ = ["METHODS", "TrainConfig", "load_chat", "loss_summary", "split_rows", "train", "train_sft", "validate_chat"]
