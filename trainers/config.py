"""Training configuration: one dataclass for every method, validated in __post_init__ (trl style)."""

from __future__ import annotations

import tomllib
import typing
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

METHODS = ("lora", "qlora", "sft", "dpo")
SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial")
DTYPES = ("auto", "bfloat16", "float32")


@dataclass
class TrainConfig:
    """Everything a training run needs; a TOML/YAML file or CLI flags fill it."""

    base: str = field(metadata={"help": "Base model directory (safetensors)."})
    train: str = field(metadata={"help": "Training data: chat JSONL, or a `tunegate data prepare` output dir."})
    out: str = field(metadata={"help": "Candidate directory to write."})
    method: str = field(default="lora", metadata={"help": "lora | qlora | sft | dpo."})
    val: str | None = field(default=None, metadata={"help": "Validation JSONL; default: hold out val_fraction."})
    val_fraction: float = field(default=0.1, metadata={"help": "Share held out when no val file is given."})
    r: int = field(default=16, metadata={"help": "LoRA rank."})
    alpha: int | None = field(default=None, metadata={"help": "LoRA alpha (default 2*r)."})
    dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    target_modules: list[str] | str = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        metadata={"help": "LoRA target modules, or 'all-linear'."},
    )
    learning_rate: float = field(default=2e-4, metadata={"help": "Peak learning rate (1e-4 to 2e-4 typical for LoRA)."})
    lr_scheduler: str = field(default="cosine", metadata={"help": "Learning-rate schedule."})
    warmup_ratio: float = field(default=0.03, metadata={"help": "Share of steps spent warming up."})
    epochs: float = field(default=3, metadata={"help": "Training epochs (a warning above 4)."})
    batch_size: int = field(default=8, metadata={"help": "Per-device batch size."})
    effective_batch_size: int | None = field(default=None, metadata={"help": "Reached by gradient accumulation."})
    max_length: int = field(default=512, metadata={"help": "Maximum tokens per example (and per pack)."})
    packing: bool = field(default=True, metadata={"help": "Pack examples (padding-free BFD) for SFT methods."})
    seed: int = field(default=42, metadata={"help": "Random seed."})
    eval_steps: int | None = field(default=None, metadata={"help": "Evaluate every N steps (default: each epoch)."})
    early_stopping_patience: int | None = field(default=3, metadata={"help": "Evaluations without improvement."})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, or auto."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars (CI)."})
    beta: float = field(default=0.1, metadata={"help": "DPO: strength of the pull towards the reference model."})
    compute_dtype: str = field(
        default="auto",
        metadata={"help": "QLoRA compute dtype: auto (bfloat16 on cuda, float32 on cpu), bfloat16 or float32."},
    )
    gradient_checkpointing: bool = field(default=False, metadata={"help": "Trade compute for memory (large models)."})
    db: str | None = field(
        default=None,
        metadata={"help": "DuckDB file for the train_log table; the Python API writes only when set, the CLI "
                          "defaults to the results store ($TUNEGATE_DB or results/tunegate.duckdb)."},
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise HarnessError(f"config field 'method' = {self.method!r}; expected one of {METHODS}")
        if self.alpha is None:
            self.alpha = 2 * self.r
        if not 0.0 < self.val_fraction < 0.5:
            raise HarnessError(f"config field 'val_fraction' = {self.val_fraction}; use a value in (0, 0.5), e.g. 0.1")
        for name in ("r", "alpha", "batch_size", "max_length"):
            if getattr(self, name) <= 0:
                raise HarnessError(f"config field '{name}' = {getattr(self, name)}; it must be a positive integer")
        for name in ("learning_rate", "epochs", "beta"):
            if getattr(self, name) <= 0:
                raise HarnessError(f"config field '{name}' = {getattr(self, name)}; it must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise HarnessError(f"config field 'dropout' = {self.dropout}; use a value in [0, 1), e.g. 0.05")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise HarnessError(f"config field 'warmup_ratio' = {self.warmup_ratio}; use a value in [0, 1), e.g. 0.03")
        if self.lr_scheduler not in SCHEDULERS:
            raise HarnessError(f"config field 'lr_scheduler' = {self.lr_scheduler!r}; expected one of {SCHEDULERS}")
        if self.compute_dtype not in DTYPES:
            raise HarnessError(f"config field 'compute_dtype' = {self.compute_dtype!r}; expected one of {DTYPES}")
        if isinstance(self.target_modules, str):
            if self.target_modules != "all-linear":
                raise HarnessError(
                    f"config field 'target_modules' = {self.target_modules!r}; give a list of module names "
                    "(e.g. ['q_proj', 'v_proj']) or 'all-linear'"
                )
        elif not self.target_modules or not all(isinstance(m, str) and m for m in self.target_modules):
            raise HarnessError("config field 'target_modules' must be a non-empty list of module names or 'all-linear'")
        for name in ("eval_steps", "early_stopping_patience"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise HarnessError(f"config field '{name}' = {value}; use a positive integer, or leave it unset")
        if self.device not in ("cpu", "cuda", "auto") and not self.device.startswith("cuda:"):
            raise HarnessError(f"config field 'device' = {self.device!r}; use cpu, cuda, cuda:N or auto")
        if self.epochs > 4:
            warnings.warn(f"epochs = {self.epochs}: more than 4 epochs on small data tends to memorise", stacklevel=2)
        if self.effective_batch_size is not None and self.effective_batch_size % self.batch_size:
            raise HarnessError(
                f"config field 'effective_batch_size' = {self.effective_batch_size} is not a multiple of "
                f"batch_size = {self.batch_size}"
            )

    @property
    def grad_accum(self) -> int:
        """Gradient accumulation steps that reach the effective batch size."""
        return (self.effective_batch_size or self.batch_size) // self.batch_size

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        return asdict(self)

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> TrainConfig:
        """Load from TOML or YAML; unknown or mistyped fields are errors that name the field."""
        path = Path(path)
        if not path.is_file():
            raise HarnessError(f"{path}: config file not found")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            else:
                data = tomllib.loads(text)
        except Exception as exc:  # both parsers' errors carry line numbers in their text
            raise HarnessError(f"{path}: cannot parse config: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("train"), dict):  # a [train] table; else top-level fields
            data = data["train"]
        if not isinstance(data, dict):
            raise HarnessError(f"{path}: expected a table of settings")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise HarnessError(f"{path}: unknown field(s) {unknown}; known: {sorted(known)}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        _check_types(path, cls, data)
        for required in ("base", "train", "out"):
            if required not in data:
                raise HarnessError(f"{path}: missing field '{required}'")
        try:
            return cls(**data)
        except TypeError as exc:
            raise HarnessError(f"{path}: {exc}") from None


def _check_types(path: Path, cls: type, data: dict[str, Any]) -> None:
    """Reject a value of the wrong type with the field's name (TOML and YAML give us typed values)."""
    hints = typing.get_type_hints(cls)
    for name, value in data.items():
        allowed = typing.get_args(hints[name]) or (hints[name],)
        ok = False
        for kind in allowed:
            origin = typing.get_origin(kind) or kind
            if kind is type(None):
                ok = ok or value is None
            elif kind is float:
                ok = ok or (isinstance(value, (int, float)) and not isinstance(value, bool))
            elif kind is int:
                ok = ok or (isinstance(value, int) and not isinstance(value, bool))
            elif origin is list:
                ok = ok or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            else:
                ok = ok or isinstance(value, origin)
        if not ok:
            expected = " or ".join(getattr(k, "__name__", str(k)) for k in allowed)
            raise HarnessError(f"{path}: field '{name}' = {value!r} has type {type(value).__name__}; expected {expected}")


def on_cuda(config: TrainConfig) -> bool:
    """True when training runs on a GPU."""
    import torch

    return config.device.startswith("cuda") or (config.device == "auto" and torch.cuda.is_available())


def compute_dtype(config: TrainConfig) -> Any:
    """bfloat16 on GPUs; float32 on CPUs, where bf16 matmuls are emulated (slow) on most chips."""
    import torch

    if config.compute_dtype == "auto":
        return torch.bfloat16 if on_cuda(config) else torch.float32
    return getattr(torch, config.compute_dtype)
