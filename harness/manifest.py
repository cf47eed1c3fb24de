"""The candidate manifest: the contract between trainers (which write it) and the harness (which reads it)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from harness.errors import CandidateError

MANIFEST_NAME = "candidate.json"


class DataFile(BaseModel):
    """One data file a candidate was trained or validated on."""

    path: str = Field(description="Path relative to the candidate directory.")
    sha256: str = Field(description="sha256 of the file's bytes.")
    rows: int = Field(description="Number of examples in the file.")


class Losses(BaseModel):
    """Loss summary written by the trainer; the gate's overfitting guard reads it."""

    final_train: float | None = Field(None, description="Training loss at the last logged step.")
    final_val: float | None = Field(None, description="Validation loss at the last evaluation.")
    best_val: float | None = Field(None, description="Lowest validation loss seen.")
    best_step: int | None = Field(None, description="Step of the lowest validation loss (the kept checkpoint).")
    gap: float | None = Field(None, description="final_val - final_train: large means memorisation.")
    overfit: bool = Field(False, description="True when val loss rose while train loss fell.")


class TrainStats(BaseModel):
    """What a training run actually did; the trainers refuse or fail runs that would not change the model."""

    optimizer_steps: int | None = Field(None, description="Optimizer steps taken (the trainer's global step).")
    warmup_steps: int | None = Field(None, description="Of the planned steps, linear warmup (the first at lr 0).")
    epochs: float | None = Field(None, description="Epochs completed (fractional when stopped inside an epoch).")
    tokens: int | None = Field(None, description="Input tokens trained on, prompts included (SFT: the prepared "
                                                 "training data's tokens times epochs; DPO: the trainer's count).")
    loss_tokens: int | None = Field(None, description="Of those, the tokens in the loss: assistant content and "
                                                      "end-of-turn tokens (SFT), the chosen and rejected answers (DPO).")
    loss_mask: str | None = Field(None, description="How the assistant tokens were found: template markers, inserted "
                                                    "markers, trl training template or prefix diff, with the family.")


class CandidateManifest(BaseModel):
    """What a candidate is, what made it, and fingerprints to prove it has not changed since."""

    id: str = Field(description="Unique candidate id (method + timestamp + short hash).")
    created_at: dt.datetime = Field(description="UTC time the trainer finished.")
    base_model: str = Field(description="Path (absolute, or relative to the candidate dir) of the base model.")
    base_fingerprint: str = Field(description="Weights fingerprint of the base model at training time.")
    method: str = Field(description="lora | qlora | sft | dpo.")
    config: dict[str, Any] = Field(default_factory=dict, description="The full training configuration used.")
    train_data: DataFile | None = Field(None, description="Exact training data used.")
    val_data: DataFile | None = Field(None, description="Held-out validation data used.")
    chat_template_sha256: str = Field(description="sha256 of the chat template used to render training data.")
    tokenizer_fingerprint: str = Field(description="sha256 of the saved tokenizer files.")
    weights_fingerprint: str = Field(description="Fingerprint of the candidate's own weights (adapter or model).")
    losses: Losses = Field(default_factory=Losses, description="Loss summary and overfitting flag.")
    training: TrainStats = Field(default_factory=TrainStats, description="Steps and tokens trained on (absent: unknown).")
    adapter_dir: str | None = Field(None, description="Adapter directory (relative), for adapter methods.")
    model_dir: str | None = Field(None, description="Full model directory (relative), for sft or merged models.")
    tokenizer_dir: str = Field("tokenizer", description="Tokenizer directory (relative).")
    train_log: str | None = Field("train_log.jsonl", description="Train log (relative), one JSON object per log event.")
    source: str | None = Field(None, description="For merged models: the candidate directory it was merged from.")

    def resolve(self, root: Path, relative: str) -> Path:
        """Resolve a path named in the manifest against the candidate directory."""
        path = Path(relative)
        return path if path.is_absolute() else (root / path)

    def save(self, root: str | Path) -> Path:
        """Write the manifest into the candidate directory."""
        target = Path(root) / MANIFEST_NAME
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
        return target


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; every fault is a CandidateError naming the file, the line and ``what`` it is."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CandidateError(f"{path}:{line}: invalid UTF-8 in {what} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise CandidateError(f"{path}:{exc.lineno}: invalid JSON in {what}: {exc.msg}") from None
    except (RecursionError, ValueError) as exc:
        raise CandidateError(f"{path}: invalid JSON in {what}: {exc or 'nested too deeply'}") from None
    if not isinstance(data, dict):
        raise CandidateError(f"{path}:1: {what} must be a JSON object, got {type(data).__name__}")
    return data


def load_manifest(root: str | Path) -> CandidateManifest | None:
    """Load ``candidate.json`` from a candidate directory, or None when the directory has none."""
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        return None
    data = read_json_object(path, "manifest")
    try:
        return CandidateManifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CandidateError(f"{path}: field '{field}': {first['msg']} (re-create it with `tunegate train`)") from None
