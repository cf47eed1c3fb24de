"""Supervised fine-tuning (LoRA, full SFT) with trl's SFTTrainer, writing a candidate directory."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.fingerprint import dir_fingerprint, file_sha256, tokenizer_fingerprint
from harness.jsonl import write_jsonl
from harness.manifest import CandidateManifest, DataFile, Losses
from harness.template import template_sha256
from trainers.config import TrainConfig
from trainers.data import load_chat, split_rows


def load_training_data(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and val rows: a prepared directory, explicit files, or a held-out split of one file."""
    source = Path(config.train)
    if source.is_dir():
        return load_chat(source / "train.jsonl"), load_chat(source / "val.jsonl")
    rows = load_chat(source)
    if config.val:
        return rows, load_chat(config.val)
    return split_rows(rows, config.val_fraction, config.seed)


def _check_template(tokenizer: Any, base: str) -> None:
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise HarnessError(f"{base}: tokenizer has no chat template; save the production template with the base model")
    if "{% generation %}" not in template and "{%- generation %}" not in template:
        raise HarnessError(
            f"{base}: chat template has no {{% generation %}} markers, so assistant-only loss is impossible; "
            "add them around assistant content (see harness.template.CHAT_TEMPLATE)"
        )


def loss_summary(history: list[dict[str, Any]]) -> Losses:
    """Final and best losses from a trainer log history, and an overfitting flag.

    Overfit: the last validation loss is above the best one while the training loss kept falling after the best.
    """
    train = [(h["step"], h["loss"]) for h in history if "loss" in h]
    val = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
    final_train = train[-1][1] if train else None
    final_val = val[-1][1] if val else None
    best_step, best_val = min(val, key=lambda x: x[1]) if val else (None, None)
    overfit = False
    if val and best_val is not None and final_val is not None and best_step is not None:
        train_at_best = [loss for step, loss in train if step <= best_step]
        rose = final_val > best_val * 1.05
        fell = bool(train_at_best) and final_train is not None and final_train < train_at_best[-1]
        overfit = rose and fell
    gap = final_val - final_train if final_val is not None and final_train is not None else None
    return Losses(final_train=final_train, final_val=final_val, best_val=best_val, best_step=best_step, gap=gap,
                  overfit=overfit)


def _model_kwargs(config: TrainConfig) -> dict[str, Any]:
    import torch

    return {"dtype": torch.float32, "use_safetensors": True, "trust_remote_code": False}


def train_sft(config: TrainConfig) -> Path:
    """Train a LoRA adapter or a full model on chat data; write and return the candidate directory."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, EarlyStoppingCallback
    from trl import SFTConfig, SFTTrainer

    out = Path(config.out)
    if config.quiet:
        import datasets

        datasets.disable_progress_bars()
    if out.exists() and any(out.iterdir()):
        raise HarnessError(f"{out}: candidate directory exists and is not empty; choose a new --out")
    train_rows, val_rows = load_training_data(config)
    tokenizer = AutoTokenizer.from_pretrained(config.base)
    _check_template(tokenizer, config.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(config.base, **_model_kwargs(config))
    model.config.use_cache = False  # packed (padding-free) batches need it off

    work = out / ".work"
    args = SFTConfig(
        output_dir=str(work),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,
        max_length=config.max_length,
        packing=config.packing,
        assistant_only_loss=True,
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
        disable_tqdm=config.quiet,
        use_cpu=config.device == "cpu",
        dataloader_num_workers=0,
    )
    peft_config = None
    if config.method == "lora":
        peft_config = LoraConfig(
            r=config.r, lora_alpha=config.alpha, lora_dropout=config.dropout,
            target_modules=config.target_modules, task_type="CAUSAL_LM",
        )
    callbacks = [EarlyStoppingCallback(config.early_stopping_patience)] if config.early_stopping_patience else []
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list([{"messages": r["messages"]} for r in train_rows]),
        eval_dataset=Dataset.from_list([{"messages": r["messages"]} for r in val_rows]),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    if config.quiet:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    trainer.train()
    history = list(trainer.state.log_history)
    return write_candidate(config, trainer.model, tokenizer, train_rows, val_rows, history, work)


def write_candidate(
    config: TrainConfig, model: Any, tokenizer: Any, train_rows: list[dict[str, Any]],
    val_rows: list[dict[str, Any]], history: list[dict[str, Any]], work: Path,
) -> Path:
    """Save weights, tokenizer, the exact data and the train log, then the manifest last (its presence = complete)."""
    out = Path(config.out)
    is_adapter = config.method in ("lora", "qlora", "dpo") and hasattr(model, "peft_config")
    weights_dir = out / ("adapter" if is_adapter else "model")
    model.save_pretrained(weights_dir, safe_serialization=True)
    if is_adapter:
        adapter_config = weights_dir / "adapter_config.json"
        data = json.loads(adapter_config.read_text())
        data["base_model_name_or_path"] = str(Path(config.base).resolve())
        adapter_config.write_text(json.dumps(data, indent=2))
    tokenizer.save_pretrained(out / "tokenizer")
    write_jsonl(out / "data" / "train.jsonl", train_rows)
    write_jsonl(out / "data" / "val.jsonl", val_rows)
    write_jsonl(out / "train_log.jsonl", history)
    shutil.rmtree(work, ignore_errors=True)
    created = dt.datetime.now(dt.UTC)
    weights_fp = dir_fingerprint(weights_dir)
    manifest = CandidateManifest(
        id=f"{config.method}-{created:%Y%m%d-%H%M%S}-{weights_fp[:8]}",
        created_at=created,
        base_model=str(Path(config.base).resolve()),
        base_fingerprint=dir_fingerprint(config.base),
        method=config.method,
        config=config.to_dict(),
        train_data=DataFile(path="data/train.jsonl", sha256=file_sha256(out / "data/train.jsonl"), rows=len(train_rows)),
        val_data=DataFile(path="data/val.jsonl", sha256=file_sha256(out / "data/val.jsonl"), rows=len(val_rows)),
        chat_template_sha256=template_sha256(tokenizer),
        tokenizer_fingerprint=tokenizer_fingerprint(out / "tokenizer"),
        weights_fingerprint=weights_fp,
        losses=loss_summary(history),
        adapter_dir="adapter" if is_adapter else None,
        model_dir=None if is_adapter else "model",
    )
    manifest.save(out)
    return out
