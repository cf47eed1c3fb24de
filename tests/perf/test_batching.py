"""Batched generation and log-likelihood agree with one-at-a-time; batches respect their budget; stops hold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.engine import (
    DecodingParams,
    cut_at_stop,
    encode_pair,
    generate,
    loglikelihood,
    plan_batches,
    render_prompt,
)

from ..conftest import arithmetic_rows


@pytest.fixture(scope="module")
def loaded(tiny_base):
    from harness.engine import load_model

    return load_model(tiny_base, "base")


def varied_prompts(tokenizer, n=7):
    rows = arithmetic_rows(n, seed=5)
    return [render_prompt(tokenizer, [{"role": "user", "content": "please " * (i % 4) + r["messages"][0]["content"]}])
            for i, r in enumerate(rows)]


@given(st.lists(st.integers(1, 50), min_size=1, max_size=40), st.integers(0, 16), st.integers(1, 8))
def test_plan_batches_covers_each_index_once_within_budget(lengths, extra, max_rows):
    budget = 120
    batches = plan_batches(lengths, extra, budget, max_rows)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch) + extra
        assert len(batch) <= max_rows
        assert len(batch) == 1 or len(batch) * width <= budget


def test_batched_generation_matches_one_at_a_time(loaded):
    prompts = varied_prompts(loaded.tokenizer)
    params = DecodingParams(max_new_tokens=8)
    one = generate(loaded.model, loaded.tokenizer, prompts, params, batch_size=1)
    auto = generate(loaded.model, loaded.tokenizer, prompts, params, batch_size=None)
    three = generate(loaded.model, loaded.tokenizer, prompts, params, batch_size=3)
    assert [g.text for g in auto] == [g.text for g in one] == [g.text for g in three]


def test_stop_string_ends_generation_and_is_cut(loaded):
    prompts = varied_prompts(loaded.tokenizer)
    free = generate(loaded.model, loaded.tokenizer, prompts, DecodingParams(max_new_tokens=16))
    prompt, text = next((p, g.text) for p, g in zip(prompts, free, strict=True) if len(g.text) >= 3)
    stop = text[len(text) // 2]
    stopped = generate(loaded.model, loaded.tokenizer, [prompt], DecodingParams(max_new_tokens=16, stop=(stop,)))[0]
    assert stopped.text == text[: text.index(stop)]
    assert stopped.new_tokens < next(g.new_tokens for g in free if g.text == text)


def test_cut_at_stop_takes_the_earliest():
    assert cut_at_stop("a1b2c", ["2", "1"]) == "a" and cut_at_stop("abc", ["x"]) == "abc"


def test_loglikelihood_batched_matches_single_and_manual(loaded):
    import torch

    requests = [("add 1 2 ", "3"), ("add 4 4", " 8 and more words"), ("", "add"), ("please please add 9 9", " 18")]
    single = loglikelihood(loaded.model, loaded.tokenizer, requests, batch_size=1)
    batched = loglikelihood(loaded.model, loaded.tokenizer, requests, batch_size=None)
    for (a, ga), (b, gb) in zip(single, batched, strict=True):
        assert a == pytest.approx(b, abs=1e-4) and ga == gb
    ctx, cont = encode_pair(loaded.tokenizer, *requests[1])
    with torch.inference_mode():
        logits = loaded.model(torch.tensor([ctx + cont])).logits[0].float()
    logprobs = torch.log_softmax(logits[len(ctx) - 1 : -1], dim=-1)
    manual = float(logprobs.gather(1, torch.tensor(cont)[:, None]).sum())
    greedy = bool((logprobs.argmax(-1) == torch.tensor(cont)).all())
    assert single[1][0] == pytest.approx(manual, abs=1e-4) and single[1][1] == greedy


def test_encode_pair_moves_context_whitespace_to_the_continuation(loaded):
    ctx, cont = encode_pair(loaded.tokenizer, "add 1 2 ", "3")
    whole = loaded.tokenizer("add 1 2 3", add_special_tokens=False)["input_ids"]
    assert ctx + cont == whole and cont
