"""Merging: fold a candidate's LoRA adapter into its base and export a standalone safetensors model.

The merged directory is a candidate in its own right (same tokenizer, data and losses) whose manifest names
the adapter candidate it came from in ``source``. Adapters trained over a 4-bit base (QLoRA) are merged into
the full-precision base, as is usual: merging into the quantised weights would round the update away.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from harness.engine import dir_fingerprint
from harness.errors import CandidateError
from harness.manifest import load_manifest


def merge_candidate(candidate: str | Path, out: str | Path, dtype: str = "float32") -> Path:
    """Write ``out`` as a merged, standalone candidate of the adapter candidate ``candidate``; return ``out``.

    Args:
        candidate: An adapter candidate directory (lora, qlora or dpo) with its candidate.json.
        out: New directory for the merged model; must not exist or be empty.
        dtype: torch dtype of the merged weights (float32, bfloat16 or float16).
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    source, target = Path(candidate), Path(out)
    manifest = load_manifest(source)
    if manifest is None:
        raise CandidateError(f"{source}: no candidate.json; merge needs a candidate written by `tunegate train`")
    if manifest.adapter_dir is None:
        raise CandidateError(f"{source / 'candidate.json'}: field 'adapter_dir' is empty: a full model has nothing "
                             "to merge; use its model/ directory as it is")
    if target.exists() and any(target.iterdir()):
        raise CandidateError(f"{target}: output directory exists and is not empty; choose a new --out")
    if dtype not in ("float32", "bfloat16", "float16"):
        raise CandidateError(f"dtype {dtype!r}: use float32, bfloat16 or float16")
    base = manifest.resolve(source, manifest.base_model)
    if dir_fingerprint(base) != manifest.base_fingerprint:
        raise CandidateError(f"{base}: base model weights changed since {manifest.id} was trained "
                             "(fingerprint differs); merge against the exact base it was trained on")
    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype), use_safetensors=True,
                                                 trust_remote_code=False)
    merged = PeftModel.from_pretrained(model, manifest.resolve(source, manifest.adapter_dir)).merge_and_unload()
    merged.config.use_cache = True
    merged.save_pretrained(target / "model", safe_serialization=True)
    shutil.copytree(manifest.resolve(source, manifest.tokenizer_dir), target / manifest.tokenizer_dir)
    for data in (manifest.train_data, manifest.val_data):
        if data is not None:
            (target / data.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(manifest.resolve(source, data.path), target / data.path)
    if manifest.train_log and manifest.resolve(source, manifest.train_log).is_file():
        shutil.copy2(manifest.resolve(source, manifest.train_log), target / manifest.train_log)
    weights_fp = dir_fingerprint(target / "model")
    merged_manifest = manifest.model_copy(update={
        "id": f"{manifest.id}-merged",
        "created_at": dt.datetime.now(dt.UTC),
        "weights_fingerprint": weights_fp,
        "adapter_dir": None,
        "model_dir": "model",
        "source": str(source.resolve()),
    })
    merged_manifest.save(target)
    return target
