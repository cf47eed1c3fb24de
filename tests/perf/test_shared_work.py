"""Work the engine skips equals the work it replaces: multiple-choice requests scored over one shared context
give each request's own scores, and greedy decoding that drops finished rows gives ``model.generate``'s tokens."""

from __future__ import annotations

import pytest

from harness.engine import DecodingParams, encode_pair, generate, loglikelihood, render_prompt
from harness.engine.generate import plain_greedy

from ..conftest import arithmetic_rows

CHOICES = [" 3", " 4", " 12", " 7 and 8", "x"]
REQUESTS = [(ctx, choice) for ctx in ("add 1 2", "add 2 2 =", "please add 9 3 ") for choice in CHOICES] + [
    ("add 4 4", " 8 and more words"), ("", "add"), ("add 1 2", "")]


@pytest.fixture(scope="module")
def loaded(tiny_base):
    from harness.engine import load_model

    return load_model(tiny_base, "base")


def one_at_a_time(model, tokenizer, requests):
    """Each request alone, unpadded, the textbook way."""
    import torch

    out = []
    for context, continuation in requests:
        ctx, cont = encode_pair(tokenizer, context, continuation)
        if not cont:
            out.append((0.0, True))
            continue
        with torch.inference_mode():
            logits = model(torch.tensor([ctx + cont])).logits[0].float()
        logprobs = torch.log_softmax(logits[len(ctx) - 1 : -1], dim=-1)
        targets = torch.tensor(cont)
        out.append((float(logprobs.gather(1, targets[:, None]).sum()), bool((logprobs.argmax(-1) == targets).all())))
    return out


def fed_tokens(model):
    """A list that collects the input-id counts of every forward pass of ``model`` (and the hook to remove)."""
    seen: list[tuple[int, int]] = []
    hook = model.register_forward_pre_hook(lambda _m, _a, kw: seen.append(tuple(kw["input_ids"].shape)),
                                           with_kwargs=True)
    return seen, hook


def assert_same(got, want):
    for (a, ga), (b, gb) in zip(got, want, strict=True):
        assert a == pytest.approx(b, abs=1e-5) and ga == gb


def test_shared_context_scores_equal_each_request_alone(loaded):
    seen, hook = fed_tokens(loaded.model)
    try:
        shared = loglikelihood(loaded.model, loaded.tokenizer, REQUESTS)
    finally:
        hook.remove()
    assert_same(shared, one_at_a_time(loaded.model, loaded.tokenizer, REQUESTS))
    alone = sum(len(c) + len(t) - 1 for c, t in (encode_pair(loaded.tokenizer, *r) for r in REQUESTS) if t)
    assert seen[-1][0] == 5  # the last (scoring) pass: one row per distinct context (the probe ran before it)
    assert seen[-1][0] * seen[-1][1] < alone  # padding included


def test_shared_context_scores_do_not_depend_on_batching(loaded):
    one = loglikelihood(loaded.model, loaded.tokenizer, REQUESTS, batch_size=1)
    auto = loglikelihood(loaded.model, loaded.tokenizer, REQUESTS)
    assert_same(one, auto)


def test_eager_attention_takes_the_shared_rows_too(tiny_base):
    from transformers import AutoModelForCausalLM

    from harness.engine import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_base, attn_implementation="eager").eval()
    tokenizer = load_tokenizer(tiny_base)
    assert_same(loglikelihood(model, tokenizer, REQUESTS), one_at_a_time(model, tokenizer, REQUESTS))


def test_attention_without_4d_masks_is_scored_one_request_a_row(loaded, monkeypatch):
    from harness.engine import loglik

    monkeypatch.setattr(loglik, "_attention", lambda model: "flash_attention_2")
    seen, hook = fed_tokens(loaded.model)
    try:
        plain = loglikelihood(loaded.model, loaded.tokenizer, REQUESTS)
    finally:
        hook.remove()
    assert_same(plain, one_at_a_time(loaded.model, loaded.tokenizer, REQUESTS))
    assert sum(rows for rows, _ in seen) == len(REQUESTS) - 1  # the empty continuation needs no row


def test_a_probe_that_disagrees_falls_back_to_plain_rows(loaded, monkeypatch):
    from harness.engine import loglik

    model = loaded.model
    monkeypatch.setattr(loglik, "_TREE_OK", loglik.weakref.WeakKeyDictionary())
    real = loglik._score_rows
    monkeypatch.setattr(loglik, "_score_rows", lambda *a: [(i, lp + 1.0, g) for i, lp, g in real(*a)])
    got = loglikelihood(model, loaded.tokenizer, REQUESTS)
    assert loglik._TREE_OK[model] is False
    assert_same(got, one_at_a_time(model, loaded.tokenizer, REQUESTS))


def prompts(tokenizer, n=9):
    rows = arithmetic_rows(n, seed=3)
    return [render_prompt(tokenizer, [{"role": "user", "content": "please " * (i % 3) + r["messages"][0]["content"]}])
            for i, r in enumerate(rows)]


def raw_generate(model, tokenizer, texts, params):
    """``model.generate`` on the batch as a whole, cut as the engine cuts (EOS, then the first stop string)."""
    import torch

    from harness.engine import cut_at_stop

    batch = tokenizer(texts, add_special_tokens=False, return_tensors="pt", padding=True)
    stop = {"stop_strings": list(params.stop), "tokenizer": tokenizer} if params.stop else {}
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=params.max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **stop)
    texts = []
    for tokens in out[:, batch["input_ids"].shape[1]:].tolist():
        if tokenizer.eos_token_id in tokens:
            tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
        texts.append(cut_at_stop(tokenizer.decode(tokens, skip_special_tokens=True), params.stop))
    return texts


def test_rows_leave_the_batch_when_they_stop_and_the_text_is_model_generates(loaded):
    texts = [f"add {i} {9 - i}" + " please" * (i % 3) for i in range(9)]
    free = generate(loaded.model, loaded.tokenizer, texts, DecodingParams(max_new_tokens=12), batch_size=None)
    stop = next(ch for g in free for ch in g.text if 0 < sum(ch in o.text for o in free) < len(free))  # some rows
    params = DecodingParams(max_new_tokens=12, stop=(stop,))
    seen, hook = fed_tokens(loaded.model)
    try:
        mine = generate(loaded.model, loaded.tokenizer, texts, params, batch_size=None)
    finally:
        hook.remove()
    assert [g.text for g in mine] == raw_generate(loaded.model, loaded.tokenizer, texts, params)
    rows = [shape[0] for shape in seen]
    assert rows[0] == len(texts) and rows == sorted(rows, reverse=True) and rows[-1] < len(texts)


def test_generation_config_beyond_greedy_goes_through_model_generate(tiny_base):
    from harness.engine import load_model

    loaded = load_model(tiny_base, "base")
    assert plain_greedy(loaded.model)
    loaded.model.generation_config.repetition_penalty = 1.3
    assert not plain_greedy(loaded.model)
    texts = prompts(loaded.tokenizer, 4)
    params = DecodingParams(max_new_tokens=8)
    got = [g.text for g in generate(loaded.model, loaded.tokenizer, texts, params, batch_size=None)]
    assert got == raw_generate(loaded.model, loaded.tokenizer, texts, params)
