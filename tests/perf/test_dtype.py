"""--tunegate-dtype: the dtype models load in, part of the generation cache key and stored with the run."""

from __future__ import annotations

import pytest

from harness.engine import DecodingParams, render_prompt, resolve_dtype
from harness.errors import HarnessError

from ..conftest import arithmetic_rows
from .conftest import CallCounter


@pytest.mark.parametrize(("asked", "device", "resolved"), [
    ("auto", "cpu", "float32"), ("auto", "cuda", "bfloat16"), ("auto", "cuda:1", "bfloat16"),
    ("auto", "mps", "float32"), ("float16", "cpu", "float16"), ("bfloat16", "cpu", "bfloat16"),
])
def test_auto_is_bfloat16_on_cuda_only(asked, device, resolved):
    assert resolve_dtype(asked, device) == resolved


def test_unknown_dtype_names_the_option():
    with pytest.raises(HarnessError, match="--tunegate-dtype int8: expected one of auto, float32"):
        resolve_dtype("int8", "cpu")


def test_dtype_loads_keys_the_cache_and_is_stored(adapter, session_factory, tmp_path):
    import torch

    db = tmp_path / "shared.duckdb"
    full = session_factory(adapter, db=db)
    prompts = [render_prompt(full.tokenizer("candidate"), r["messages"][:1]) for r in arithmetic_rows(4, seed=5)]
    full.generate("candidate", prompts, DecodingParams(max_new_tokens=4))
    half = session_factory(adapter, db=db, dtype="bfloat16")
    assert half.model_key("candidate").dtype == "bfloat16" and full.model_key("candidate").dtype == "float32"
    counter = CallCounter(half.model("candidate").model)
    half.generate("candidate", prompts, DecodingParams(max_new_tokens=4))
    assert counter.batches >= 1  # float32 outputs are not served to a bfloat16 run
    assert next(half.model("candidate").model.parameters()).dtype == torch.bfloat16
    runs = dict(half.store.query("SELECT id, dtype FROM runs")[1])
    assert runs == {full.run_id: "float32", half.run_id: "bfloat16"}
