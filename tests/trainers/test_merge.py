"""Merging: the merged model answers like base + adapter and loads in the harness on its own."""

from __future__ import annotations

import pytest
import torch

from harness.engine import load_model
from harness.errors import CandidateError
from trainers import merge_candidate


def _logits(loaded) -> torch.Tensor:
    ids = loaded.tokenizer(["add 3 4", "add 9 9 = 18"], return_tensors="pt", padding=True)
    with torch.no_grad():
        return loaded.model(**ids).logits


def test_merged_logits_match_adapter_logits(lora_candidate, tiny_base, tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    merged = tmp_path / "merged"
    result = CliRunner().invoke(app, ["merge", str(lora_candidate), "--out", str(merged)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (merged / "model").glob("*.safetensors")) == ["model.safetensors"]
    adapter, standalone, base = (load_model(p, r) for p, r in
                                 ((lora_candidate, "a"), (merged, "m"), (tiny_base, "b")))
    assert not standalone.is_adapter and standalone.manifest.model_dir == "model"
    assert standalone.manifest.source == str(lora_candidate.resolve())
    assert (_logits(adapter) - _logits(base)).abs().max() > 1e-2, "the adapter must change something"
    assert (_logits(standalone) - _logits(adapter)).abs().max() < 1e-5


def test_merge_refuses_a_full_model_candidate(method_candidates, tmp_path):
    with pytest.raises(CandidateError, match="adapter_dir"):
        merge_candidate(method_candidates["sft"], tmp_path / "m")
