"""The engine's shortcuts on the real model: multiple-choice requests scored over one shared context equal each
request scored alone, and greedy decoding that drops finished rows writes what ``model.generate`` writes."""

from __future__ import annotations

import json

import pytest

from harness.engine import BUNDLED_TASKS, DecodingParams, encode_pair, generate, loglikelihood

ITEMS = 12  # multiple-choice items of tg_arithmetic and tg_facts each (4 choices): 96 requests, each also alone
PROMPTS = 12  # tg_ifeval prompts, chat-rendered


@pytest.fixture(scope="module")
def loaded(smollm2):
    from harness.engine import load_model

    return load_model(smollm2, "base")


def rows(name: str, n: int) -> list[dict]:
    return [json.loads(line) for line in (BUNDLED_TASKS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()][:n]


def test_shared_context_scores_equal_each_request_alone(loaded):
    import torch

    requests = [(f"Question: {d['question']}\nAnswer:", f" {c}") for name in ("arithmetic", "facts")
                for d in rows(name, ITEMS) for c in d["choices"]]
    shared = loglikelihood(loaded.model, loaded.tokenizer, requests)
    for (context, continuation), (logprob, greedy) in zip(requests, shared, strict=True):
        ctx, cont = encode_pair(loaded.tokenizer, context, continuation)
        with torch.inference_mode():
            logits = loaded.model(torch.tensor([ctx + cont])).logits[0, len(ctx) - 1 : -1].float()
        alone = torch.log_softmax(logits, dim=-1)
        targets = torch.tensor(cont)
        assert logprob == pytest.approx(float(alone.gather(1, targets[:, None]).sum()), abs=1e-4)
        assert greedy == bool((alone.argmax(-1) == targets).all())


def test_greedy_loop_writes_what_model_generate_writes(loaded):
    import torch

    from harness.engine import cut_at_stop

    tokenizer = loaded.tokenizer
    texts = [tokenizer.apply_chat_template([{"role": "user", "content": d["prompt"]}], tokenize=False,
                                           add_generation_prompt=True) for d in rows("ifeval", PROMPTS)]
    params = DecodingParams(max_new_tokens=48, stop=("<|im_end|>", "<|im_start|>"))
    mine = generate(loaded.model, tokenizer, texts, params, batch_size=None)
    batch = tokenizer(texts, add_special_tokens=False, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = loaded.model.generate(**batch, max_new_tokens=48, do_sample=False, pad_token_id=tokenizer.pad_token_id,
                                    eos_token_id=tokenizer.eos_token_id, stop_strings=list(params.stop),
                                    tokenizer=tokenizer)
    theirs = []
    for tokens in out[:, batch["input_ids"].shape[1]:].tolist():
        if tokenizer.eos_token_id in tokens:
            tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
        theirs.append(cut_at_stop(tokenizer.decode(tokens, skip_special_tokens=True), params.stop))
    assert [g.text for g in mine] == theirs
    assert any(g.new_tokens < 48 for g in mine)  # some rows ended early, and left the batch
