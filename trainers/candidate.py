"""Writing a candidate directory: weights, tokenizer, exact data, train log, loss summary, then the manifest.

Every method ends here, so every candidate has the same shape. The manifest is written last: its presence
means the directory is complete.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from harness.engine import dir_fingerprint, file_sha256, template_sha256, tokenizer_fingerprint
from harness.jsonl import write_jsonl
from harness.manifest import CandidateManifest, DataFile, Losses
from trainers.config import TrainConfig
from trainers.guards import train_stats

# A validation loss this much above its best counts as "rose" (noise on tiny val sets is larger than 1%).
OVERFIT_RISE = 1.05


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
        rose = final_val > best_val * OVERFIT_RISE
        fell = bool(train_at_best) and final_train is not None and final_train < train_at_best[-1]
        overfit = rose and fell
    gap = final_val - final_train if final_val is not None and final_train is not None else None
    return Losses(final_train=final_train, final_val=final_val, best_val=best_val, best_step=best_step, gap=gap,
                  overfit=overfit)


def train_log_rows(candidate_id: str, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One `train_log` row per logged step: the training and evaluation events of a step merged."""
    by_step: dict[int, dict[str, Any]] = {}
    for event in history:
        if "loss" not in event and "eval_loss" not in event:
            continue  # the end-of-training summary and the like
        row = by_step.setdefault(int(event["step"]), {
            "candidate_id": candidate_id, "step": int(event["step"]), "epoch": None, "train_loss": None,
            "val_loss": None, "learning_rate": None, "tokens_per_s": None, "logged_at": None})
        row["epoch"] = event.get("epoch", row["epoch"])
        if "loss" in event:
            row["train_loss"] = float(event["loss"])
            row["learning_rate"] = event.get("learning_rate")
            row["tokens_per_s"] = event.get("tokens_per_s")
        if "eval_loss" in event:
            row["val_loss"] = float(event["eval_loss"])
        row["logged_at"] = _timestamp(event.get("logged_at"))
    return [by_step[step] for step in sorted(by_step)]


def _timestamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def store_train_log(db: str | Path, candidate_id: str, history: list[dict[str, Any]]) -> int:
    """Append a run's train log to the `train_log` table of a results database; return the rows written."""
    from harness.store import Store, insert_rows

    rows = train_log_rows(candidate_id, history)
    with Store(db).write() as con:
        return insert_rows(con, "train_log", rows)


def save_weights(trainer: Any, weights_dir: Path) -> None:
    """Save through the trainer (it gathers FSDP / ZeRO-3 shards); drop its pickled side files."""
    trainer.save_model(str(weights_dir))
    for pickled in weights_dir.glob("*.bin"):  # training_args.bin: a pickle the harness would rightly refuse
        pickled.unlink()


def write_candidate(
    config: TrainConfig, trainer: Any, tokenizer: Any, train_rows: list[dict[str, Any]],
    val_rows: list[dict[str, Any]], work: Path, loss_mask: str | None = None,
) -> Path:
    """Save weights, tokenizer, the exact data and the train log, then the manifest last (its presence = complete).

    The tokenizer saved is the base model's, with its original chat template: a marked copy used to find the
    assistant tokens (``loss_mask`` says how they were found) never leaves training.
    """
    out = Path(config.out)
    is_adapter = config.method in ("lora", "qlora", "dpo") and hasattr(trainer.model, "peft_config")
    weights_dir = out / ("adapter" if is_adapter else "model")
    save_weights(trainer, weights_dir)  # every process: sharded weights are gathered collectively
    if not trainer.is_world_process_zero():
        return out
    if is_adapter:
        adapter_config = weights_dir / "adapter_config.json"
        data = json.loads(adapter_config.read_text())
        data["base_model_name_or_path"] = str(Path(config.base).resolve())
        adapter_config.write_text(json.dumps(data, indent=2))
    history = list(trainer.state.log_history)
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
        training=train_stats(trainer, loss_mask),
        adapter_dir="adapter" if is_adapter else None,
        model_dir=None if is_adapter else "model",
    )
    if config.db:
        store_train_log(config.db, manifest.id, history)
    manifest.save(out)
    return out
