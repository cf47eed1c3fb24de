"""The generation cache: hits recompute nothing, every key part invalidates, --no-cache and prune work."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.engine import GENERATE, DecodingParams, ModelKey, cache_key, prune, render_prompt
from harness.errors import HarnessError

from ..conftest import arithmetic_rows
from .conftest import CallCounter, make_adapter

PARAMS = DecodingParams(max_new_tokens=6)


def prompts_for(session, role="candidate", n=6, seed=3):
    tokenizer = session.tokenizer(role)
    return [render_prompt(tokenizer, r["messages"][:1]) for r in arithmetic_rows(n, seed=seed)]


def cache_rows(session):
    return session.store.query("SELECT count(*) FROM generations")[1][0][0]


def test_key_is_sha256_of_every_part():
    model = ModelKey("w" * 64, "t" * 64)
    base = cache_key(GENERATE, model, "p", {"a": 1, "b": 2}, "1.0")
    assert len(base) == 64 and int(base, 16) >= 0
    assert cache_key(GENERATE, model, "p", {"b": 2, "a": 1}, "1.0") == base  # canonical JSON: order-free
    changed = [
        cache_key(GENERATE, dataclasses.replace(model, weights="x" * 64), "p", {"a": 1, "b": 2}, "1.0"),
        cache_key(GENERATE, dataclasses.replace(model, tokenizer="x"), "p", {"a": 1, "b": 2}, "1.0"),
        cache_key(GENERATE, dataclasses.replace(model, dtype="bfloat16"), "p", {"a": 1, "b": 2}, "1.0"),
        cache_key(GENERATE, model, "p ", {"a": 1, "b": 2}, "1.0"),
        cache_key(GENERATE, model, "p", {"a": 1, "b": 3}, "1.0"),
        cache_key(GENERATE, model, "p", {"a": 1, "b": 2}, "1.1"),
        cache_key("loglikelihood", model, "p", {"a": 1, "b": 2}, "1.0"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_second_generate_calls_the_model_zero_times(adapter, session_factory):
    session = session_factory(adapter)
    prompts = prompts_for(session)
    counter = CallCounter(session.model("candidate").model)
    first = session.generate("candidate", prompts, PARAMS)
    assert counter.batches >= 1 and cache_rows(session) == len(prompts)
    calls = counter.batches
    second = session.generate("candidate", prompts, PARAMS)
    assert counter.batches == calls
    assert [g.text for g in second] == [g.text for g in first] and all(g.cached for g in second)


def test_rerun_in_a_new_session_loads_no_weights(adapter, session_factory):
    first = session_factory(adapter)
    prompts = prompts_for(first)
    computed = first.generate("candidate", prompts, PARAMS)
    again = session_factory(adapter)  # fresh process state: only the database remembers
    served = again.generate("candidate", prompts, PARAMS)
    assert "candidate" not in again._models  # the weights were never loaded, so the model ran zero times
    assert again.cache.hits == len(prompts) and again.cache.misses == 0
    assert [g.text for g in served] == [g.text for g in computed]


def test_changed_prompt_recomputes_only_that_prompt(adapter, session_factory):
    session = session_factory(adapter)
    prompts = prompts_for(session)
    session.generate("candidate", prompts, PARAMS)
    fresh = session_factory(adapter)
    counter = CallCounter(fresh.model("candidate").model)
    fresh.generate("candidate", [*prompts[:-1], prompts[-1] + " "], PARAMS)
    assert fresh.cache.misses == 1 and fresh.cache.hits == len(prompts) - 1 and counter.batches == 1


def test_changed_decoding_param_invalidates(adapter, session_factory):
    session = session_factory(adapter)
    prompts = prompts_for(session)
    session.generate("candidate", prompts, PARAMS)
    session.generate("candidate", prompts, DecodingParams(max_new_tokens=7))
    session.generate("candidate", prompts, DecodingParams(max_new_tokens=6, stop=("\n",)))
    assert session.cache.hits == 0 and cache_rows(session) == 3 * len(prompts)


def test_changed_adapter_weight_invalidates(adapter, tiny_base, session_factory, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    copy = shutil.copytree(adapter, tmp_path / "edited")
    first = session_factory(copy)
    prompts = prompts_for(first)
    first.generate("candidate", prompts, PARAMS)
    weights = copy / "adapter_model.safetensors"
    tensors = load_file(weights)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + torch.full_like(tensors[name], 1e-3)
    save_file(tensors, weights)
    second = session_factory(copy)
    second.generate("candidate", prompts, PARAMS)
    assert second.cache.hits == 0 and second.cache.misses == len(prompts)
    assert second.model_key("candidate").weights != first.model_key("candidate").weights
    baseline = session_factory(copy)  # the base model is a different key again, and unaffected by the edit
    assert baseline.model_key("baseline").weights.split("+")[0] == tiny_base_fp(second)


def tiny_base_fp(session):
    return session.model_key("candidate").weights.split("+")[0]


def test_baseline_is_evaluated_once_for_many_candidates(adapter, tiny_base, session_factory, tmp_path):
    other = make_adapter(tiny_base, tmp_path / "other", seed=2)
    one = session_factory(adapter)
    prompts = prompts_for(one, role="baseline")
    one.generate("baseline", prompts, PARAMS)
    two = session_factory(other)
    two.generate("baseline", prompts, PARAMS)
    assert two.cache.hits == len(prompts) and "baseline" not in two._models


def test_no_cache_computes_everything_and_stores_nothing(adapter, session_factory):
    session = session_factory(adapter, cache=False)
    prompts = prompts_for(session)
    counter = CallCounter(session.model("candidate").model)
    session.generate("candidate", prompts, PARAMS)
    calls = counter.batches
    session.generate("candidate", prompts, PARAMS)
    assert counter.batches == 2 * calls and cache_rows(session) == 0


def test_duplicate_prompts_are_computed_once(adapter, session_factory):
    session = session_factory(adapter)
    prompts = prompts_for(session, n=3)
    out = session.generate("candidate", prompts + prompts, PARAMS)
    assert session.cache.misses == 3 and [g.text for g in out[:3]] == [g.text for g in out[3:]]


def test_loglikelihood_is_cached(adapter, session_factory):
    session = session_factory(adapter)
    requests = [("add 1 2 ", "3"), ("add 4 4", " 8"), ("", "add")]
    counter = CallCounter(session.model("candidate").model)
    first = session.loglikelihood("candidate", requests)
    assert counter.batches >= 1 and all(lp < 0 for lp, _ in first)
    fresh = session_factory(adapter)
    assert fresh.loglikelihood("candidate", requests) == first and "candidate" not in fresh._models


def test_prune_by_model_age_and_all(adapter, tiny_base, session_factory, tmp_path):
    db = tmp_path / "p.duckdb"
    session = session_factory(adapter, db=db)
    prompts = prompts_for(session, n=2)
    session.generate("candidate", prompts, PARAMS)
    session.generate("baseline", prompts, PARAMS)
    adapter_fp = session.model_key("candidate").weights.split("+")[1]
    runner = CliRunner()
    result = runner.invoke(app, ["cache", "prune", "--model", adapter_fp[:12], "--db", str(db)])
    assert result.exit_code == 0 and "pruned 2 cache entries" in result.output
    assert runner.invoke(app, ["cache", "prune", "--older-than", "1", "--db", str(db)]).output.startswith("pruned 0")
    assert "pruned 2" in runner.invoke(app, ["cache", "prune", "--all", "--db", str(db)]).output
    with pytest.raises(HarnessError, match="--older-than DAYS"):
        prune(session.store)


def test_tokenizer_identity_ignores_padding_state_but_not_vocabulary():
    from harness.engine import build_tokenizer, tokenizer_identity

    tokenizer = build_tokenizer(vocab_size=300)
    before = tokenizer_identity(tokenizer)
    tokenizer(["a", "a longer text"], padding=True)  # sets the backend's padding config
    assert tokenizer_identity(tokenizer) == before
    assert tokenizer_identity(build_tokenizer(vocab_size=320)) != before
