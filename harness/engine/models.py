"""Load candidates and baselines safely: safetensors only, no remote code, no paths escaping the directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.engine.fingerprint import dir_fingerprint
from harness.errors import CandidateError
from harness.manifest import CandidateManifest, load_manifest, read_json_object

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
REMOTE_CODE_CONFIGS = ("config.json", "tokenizer_config.json", "adapter_config.json", "processor_config.json")
GATE_DTYPES = ("auto", "float32", "bfloat16", "float16")


def resolve_dtype(dtype: str, device: str) -> str:
    """The torch dtype name a gate loads in: ``auto`` is bfloat16 on CUDA (half the memory, tensor cores) and
    float32 elsewhere (whether bfloat16 is faster on a CPU depends on its bf16 support, and it rounds, so there it
    is asked for by name); other names pass through."""
    if dtype not in GATE_DTYPES:
        raise CandidateError(f"--tunegate-dtype {dtype}: expected one of {', '.join(GATE_DTYPES)}")
    if dtype == "auto":
        return "bfloat16" if device.split(":")[0] == "cuda" else "float32"
    return dtype


@dataclass
class LoadedModel:
    """A model ready to generate, with what identifies it."""

    role: str
    ref: str
    path: Path
    fingerprint: str
    model: Any
    tokenizer: Any
    manifest: CandidateManifest | None = None
    base_path: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def is_adapter(self) -> bool:
        """True when the weights are a peft adapter over a base model."""
        return self.base_path is not None


def _check_dir(path: Path, trust_remote_code: bool) -> None:
    """Refuse what could run code or read outside ``path``: escaping symlinks, pickles, remote-code configs."""
    if not path.is_dir():
        raise CandidateError(f"{path}: not a directory (pass a candidate, model or adapter directory)")
    root = path.resolve()
    for item in path.rglob("*"):
        if item.is_symlink():
            try:
                target = item.resolve(strict=True)
            except (OSError, RuntimeError):
                raise CandidateError(f"{item}: broken or looping symlink; replace it with the file itself") from None
            if not target.is_relative_to(root):
                raise CandidateError(f"{item}: symlink points outside {path} to {target}; copy the file in instead")
        if item.suffix.lower() in PICKLE_SUFFIXES and item.is_file():
            raise CandidateError(f"{item}: pickled weights are refused (arbitrary code on load); save with safetensors")
    if trust_remote_code:
        return
    for name in REMOTE_CODE_CONFIGS:
        config = path / name
        if config.is_file() and read_json_object(config, "config").get("auto_map"):
            raise CandidateError(
                f"{config}: model needs remote code (auto_map); refused unless --trust-remote-code is given by name"
            )


def candidate_base(path: Path) -> Path | None:
    """Base model directory of a candidate or adapter dir (None for a full model)."""
    manifest = load_manifest(path)
    if manifest is not None:
        return manifest.resolve(path, manifest.base_model).resolve() if manifest.adapter_dir else None
    adapter_config = path / "adapter_config.json"
    if adapter_config.is_file():
        base = read_json_object(adapter_config, "adapter config").get("base_model_name_or_path")
        if not base or not isinstance(base, str):
            raise CandidateError(f"{adapter_config}: field 'base_model_name_or_path' is empty; set it to the base dir")
        return Path(base)
    return None


def _weights_dir(path: Path, manifest: CandidateManifest | None) -> tuple[Path, Path]:
    """(weights dir, tokenizer dir) for a candidate or a plain HF directory."""
    if manifest is None:
        return path, path
    rel = manifest.adapter_dir or manifest.model_dir
    if rel is None:
        raise CandidateError(f"{path / 'candidate.json'}: neither 'adapter_dir' nor 'model_dir' is set")
    weights = manifest.resolve(path, rel)
    tokenizer = manifest.resolve(path, manifest.tokenizer_dir)
    field_name = "adapter_dir" if manifest.adapter_dir else "model_dir"
    for name, target in ((field_name, weights), ("tokenizer_dir", tokenizer)):
        if not target.resolve().is_relative_to(path.resolve()):
            raise CandidateError(
                f"{path / 'candidate.json'}: field '{name}' points outside the candidate directory "
                f"({target.resolve()}); it must name a folder inside {path}"
            )
    if not weights.is_dir():
        raise CandidateError(f"{path / 'candidate.json'}: field '{field_name}' names {weights}, which is not a directory")
    return weights, tokenizer


def check_candidate(path: str | Path, trust_remote_code: bool = False) -> None:
    """Refuse an unsafe candidate before anything is recorded or loaded (see ``_check_dir``)."""
    path = Path(path)
    _check_dir(path, trust_remote_code)
    weights, _ = _weights_dir(path, load_manifest(path))
    _check_dir(weights, trust_remote_code)


def weights_fingerprint(path: str | Path, verify: bool = False) -> str:
    """Fingerprint of a candidate's own weights (adapter or model), as recorded in its manifest.

    ``verify=True`` re-hashes every byte instead of trusting the stat-keyed fingerprint caches.
    """
    path = Path(path)
    weights, _ = _weights_dir(path, load_manifest(path))
    return dir_fingerprint(weights, verify=verify)


def load_model(
    ref: str | Path, role: str, *, device: str = "cpu", trust_remote_code: bool = False, dtype: str = "float32"
) -> LoadedModel:
    """Load a candidate directory, a HF model directory, or an adapter directory, for inference."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(ref)
    _check_dir(path, trust_remote_code)
    manifest = load_manifest(path)
    weights, tok_dir = _weights_dir(path, manifest)
    _check_dir(weights, trust_remote_code)
    base = candidate_base(path)
    torch_dtype = getattr(torch, dtype)
    load_kwargs: dict[str, Any] = {"dtype": torch_dtype, "use_safetensors": True, "trust_remote_code": trust_remote_code}
    if base is not None:
        from peft import PeftModel

        _check_dir(base, trust_remote_code)
        if not list(weights.glob("*.safetensors")):
            raise CandidateError(f"{weights}: no adapter_model.safetensors found (pickled adapters are refused)")
        base_model = AutoModelForCausalLM.from_pretrained(base, **load_kwargs)
        model = PeftModel.from_pretrained(base_model, weights)
        if not (tok_dir / "tokenizer_config.json").is_file():
            tok_dir = base
    else:
        if not list(weights.glob("*.safetensors")):
            raise CandidateError(f"{weights}: no .safetensors weights found (pickled weights are refused)")
        model = AutoModelForCausalLM.from_pretrained(weights, **load_kwargs)
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=trust_remote_code)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return LoadedModel(
        role=role,
        ref=str(ref),
        path=path,
        fingerprint=dir_fingerprint(weights) if base is None else f"{dir_fingerprint(base)}+{dir_fingerprint(weights)}",
        model=model,
        tokenizer=tokenizer,
        manifest=manifest,
        base_path=base,
    )


def _tokenizer_dir(path: Path, manifest: CandidateManifest | None, base: Path | None) -> Path:
    _, tok_dir = _weights_dir(path, manifest)
    if base is not None and not (tok_dir / "tokenizer_config.json").is_file():
        return base
    return tok_dir


def reference_fingerprint(ref: str | Path) -> str:
    """The fingerprint ``load_model(ref)`` would give (``base+adapter`` for adapters), without loading weights."""
    path = Path(ref)
    weights, _ = _weights_dir(path, load_manifest(path))
    base = candidate_base(path)
    return dir_fingerprint(weights) if base is None else f"{dir_fingerprint(base)}+{dir_fingerprint(weights)}"


def load_tokenizer(ref: str | Path, *, trust_remote_code: bool = False) -> Any:
    """The tokenizer ``load_model(ref)`` would give (left padding, pad token set), without loading weights."""
    from transformers import AutoTokenizer

    path = Path(ref)
    _check_dir(path, trust_remote_code)
    manifest = load_manifest(path)
    tokenizer = AutoTokenizer.from_pretrained(
        _tokenizer_dir(path, manifest, candidate_base(path)), trust_remote_code=trust_remote_code
    )
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
