"""What every method shares: the output directory check, the tokenizer with its production chat template,
the base model (full precision, or 4-bit for QLoRA), the LoRA config and the trainer arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from trainers.config import TrainConfig, compute_dtype, on_cuda


def check_paths(config: TrainConfig) -> Path:
    """Fail before any work when the inputs are missing or the output would overwrite a candidate."""
    if not Path(config.base).is_dir():
        raise HarnessError(f"config field 'base' = {config.base!r}: not a model directory")
    for name in ("train", "val"):
        value = getattr(config, name)
        if value is not None and not Path(value).exists():
            raise HarnessError(f"config field '{name}' = {value!r}: no such file or directory")
    out = Path(config.out)
    if out.exists() and any(out.iterdir()):
        raise HarnessError(f"config field 'out' = {config.out!r}: directory exists and is not empty; choose a new one")
    return out


def check_template(tokenizer: Any, base: str) -> None:
    """Training must render through the template the candidate ships with; it needs no {% generation %} markers
    (trainers.template finds the assistant turns of real templates)."""
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise HarnessError(f"{base}: tokenizer has no chat template; save the production template with the base model")


def load_tokenizer(config: TrainConfig) -> Any:
    """The base model's tokenizer, checked for the production chat template."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(config.base)
    check_template(tokenizer, config.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(config: TrainConfig) -> Any:
    """The base model, ready for training; QLoRA gets its 4-bit base from trainers.qlora."""
    from transformers import AutoModelForCausalLM

    if config.method == "qlora":
        from trainers.qlora import load_4bit_model

        return load_4bit_model(config)
    model = AutoModelForCausalLM.from_pretrained(
        config.base, dtype=compute_dtype(config), use_safetensors=True, trust_remote_code=False)
    model.config.use_cache = False  # packed (padding-free) batches and checkpointing need it off
    return model


def lora_config(config: TrainConfig) -> Any:
    """The peft LoRA config of the adapter methods."""
    from peft import LoraConfig

    assert config.alpha is not None  # TrainConfig.__post_init__ defaults it to 2 * r
    return LoraConfig(r=config.r, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=config.target_modules, task_type="CAUSAL_LM")


def trainer_args(config: TrainConfig, work: Path) -> dict[str, Any]:
    """TrainingArguments shared by SFTConfig and DPOConfig: schedule, evaluation, best-checkpoint keeping."""
    cuda = on_cuda(config)
    return dict(
        output_dir=str(work),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a ratio of the total steps
        max_length=config.max_length,
        eval_strategy="steps" if config.eval_steps else "epoch",
        eval_steps=config.eval_steps,
        save_strategy="steps" if config.eval_steps else "epoch",
        save_steps=config.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_steps=1,
        seed=config.seed,
        data_seed=config.seed,
        report_to=[],
        disable_tqdm=True,  # trainers.progress draws the bar
        use_cpu=config.device == "cpu",
        bf16=cuda and compute_dtype(config) == _bf16(),
        activation_checkpointing=config.gradient_checkpointing,  # trl turns it on by default; we decide
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
    )


def _bf16() -> Any:
    import torch

    return torch.bfloat16


def callbacks(config: TrainConfig) -> list[Any]:
    """Progress (rich bar or quiet) and early stopping on the validation loss."""
    from transformers import EarlyStoppingCallback

    from trainers.progress import TrainProgress

    found: list[Any] = [TrainProgress(quiet=config.quiet)]
    if config.early_stopping_patience:
        found.append(EarlyStoppingCallback(config.early_stopping_patience))
    return found


def silence(config: TrainConfig) -> None:
    """Quiet mode (CI): no dataset or weight-loading progress bars either."""
    if config.quiet:
        import datasets
        from transformers.utils import logging

        datasets.disable_progress_bars()
        logging.disable_progress_bar()


def drop_printers(trainer: Any) -> None:
    """Drop transformers' own console printing; trainers.progress (or nothing, when quiet) replaces it."""
    from transformers import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
