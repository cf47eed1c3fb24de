"""Batched log-likelihood: sum log-prob of a continuation given a context, and whether greedy decoding picks it.

Requests are tokenised the way lm-eval does it (encode context and context+continuation, the continuation is
the tail of the whole), sorted by length longest first, right-padded into batches planned by a token budget
(logits for every position are the memory that matters, so the vocabulary size is part of the budget), and
answered in input order. Only the continuation positions are soft-maxed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.engine.generate import CPU_TOKENS_PER_BATCH, MAX_BATCH_ROWS, plan_batches


def encode_pair(tokenizer: Any, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) so that their concatenation is the tokenisation of context+continuation.

    Trailing whitespace of the context moves to the continuation, as lm-eval does, so the split falls on a
    token boundary; an empty context is replaced by the BOS (else EOS) token.
    """
    stripped = context.rstrip()
    if stripped != context:
        continuation = context[len(stripped):] + continuation
        context = stripped
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"] if context else []
    cont = whole[len(ctx):]
    if not ctx:
        prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        ctx = [prefix]
    return ctx, cont


def _loglik_budget(model: Any) -> int:
    import torch

    device = next(model.parameters()).device
    vocab = int(getattr(model.config, "vocab_size", 32000))
    if device.type != "cuda":
        # float32 logits of the whole batch: keep them near 256 MB on CPU
        return max(CPU_TOKENS_PER_BATCH // 4, min(CPU_TOKENS_PER_BATCH, (256 << 20) // (4 * vocab)))
    free, _ = torch.cuda.mem_get_info(device)
    hidden = int(getattr(model.config, "hidden_size", 4096))
    layers = int(getattr(model.config, "num_hidden_layers", 32))
    per_token = 4 * vocab + 12 * hidden * layers
    return max(256, int(0.4 * free / per_token))


def loglikelihood(
    model: Any,
    tokenizer: Any,
    requests: Sequence[tuple[str, str]],
    batch_size: int | None = None,
    max_length: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[tuple[float, bool]]:
    """For each (context, continuation): (sum of log-probs of the continuation tokens, is greedy).

    ``on_batch`` is called after each batch with the number of requests it finished (progress).
    """
    import torch

    if not requests:
        return []
    limit = max_length or int(getattr(model.config, "max_position_embeddings", 2048))
    rows: list[tuple[list[int], int]] = []
    for context, continuation in requests:
        ctx, cont = encode_pair(tokenizer, context, continuation)
        if not cont:
            rows.append(([], 0))
            continue
        whole = (ctx + cont)[-(limit + 1):]
        rows.append((whole, min(len(cont), len(whole) - 1)))
    lengths = [max(len(ids) - 1, 0) for ids, _ in rows]
    max_rows = min(batch_size or MAX_BATCH_ROWS, MAX_BATCH_ROWS)
    budget = _loglik_budget(model) if batch_size is None else max(_loglik_budget(model), max_rows * max(lengths))
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    results: list[tuple[float, bool]] = [(0.0, True)] * len(rows)
    for planned in plan_batches(lengths, 0, budget, max_rows):
        idx = [i for i in planned if rows[i][1] > 0]
        if on_batch is not None and len(idx) < len(planned):
            on_batch(len(planned) - len(idx))  # empty continuations: nothing to compute
        if not idx:
            continue
        width = max(lengths[i] for i in idx)
        input_ids = torch.full((len(idx), width), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for r, i in enumerate(idx):
            ids = rows[i][0][:-1]
            input_ids[r, : len(ids)] = torch.tensor(ids)
            mask[r, : len(ids)] = 1
        with torch.inference_mode():
            logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
        for r, i in enumerate(idx):
            whole, n_cont = rows[i]
            end = len(whole) - 1
            # logits at input position p predict token p+1: the continuation's tokens are the last n_cont
            targets = torch.tensor(whole[-n_cont:], device=logits.device)
            span = torch.log_softmax(logits[r, end - n_cont : end].float(), dim=-1)
            logprob = float(span.gather(1, targets[:, None]).sum())
            greedy = bool((span.argmax(dim=-1) == targets).all())
            results[i] = (logprob, greedy)
        if on_batch is not None:
            on_batch(len(idx))
    return results

