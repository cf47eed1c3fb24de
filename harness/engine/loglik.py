"""Batched log-likelihood: sum log-prob of a continuation given a context, and whether greedy decoding picks it.

Requests are tokenised the way lm-eval does it (encode context and context+continuation, the continuation is
the tail of the whole) and answered in input order. Requests whose contexts tokenise alike (the choices of a
multiple-choice item) share one row: the context once, then each continuation less its last token (which
predicts nothing) as a branch that attends to the context and to itself only, through a 4D attention mask, with
position ids restarting after the context. A four-choice item thus costs its context once, not four times.
Rows are sorted longest first, left-padded into batches planned by a token budget, and only the positions that
predict continuation tokens go through the output head (``logits_to_keep``) and the soft-max.

The shared rows need an attention that takes a custom 4D mask (transformers' ``sdpa`` and ``eager``); other
models, or one whose probe (shared rows against plain ones, once per model) disagrees, get one request per
right-padded row with a 2D mask, the way lm-eval's HF backend runs them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.engine.generate import MAX_BATCH_ROWS, last_logits_only, plan_batches, prompt_learning, unwrap

CPU_TOKENS_PER_BATCH = 8192
"""Input tokens of one log-likelihood batch on CPU (the logits are budgeted apart, per scored position)."""
PROBE_TOLERANCE = {"float32": 1e-3, "float64": 1e-6}
"""Largest |shared - plain| log-prob the probe accepts per dtype (half precisions: 0.1); a broken mask is off by
whole nats, so a tight bound only costs speed when it trips."""
_TREE_OK: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


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


@dataclass
class _Row:
    """One model input row: a context and the continuations (request index, token ids) scored after it."""

    ctx: list[int]
    branches: list[tuple[int, list[int]]]

    @property
    def tokens(self) -> list[int]:
        return self.ctx + [t for _, cont in self.branches for t in cont[:-1]]

    @property
    def scored(self) -> int:
        """Positions whose logits are needed: the context's last token and every branch token."""
        return 1 + sum(len(cont) - 1 for _, cont in self.branches)


def _budget(model: Any) -> tuple[int, int]:
    """(input tokens, scored positions) one batch may hold: activations per token, logits per scored position."""
    import torch

    device = next(model.parameters()).device
    vocab = int(getattr(model.config, "vocab_size", 32000))
    if device.type != "cuda":
        # float32 logits of the scored positions near 256 MB on CPU
        return CPU_TOKENS_PER_BATCH, max(256, (256 << 20) // (4 * vocab))
    free, _ = torch.cuda.mem_get_info(device)
    hidden = int(getattr(model.config, "hidden_size", 4096))
    layers = int(getattr(model.config, "num_hidden_layers", 32))
    # the logits and their float32 soft-max take 8 bytes a vocabulary entry
    return max(256, int(0.3 * free / (12 * hidden * layers))), max(256, int(0.3 * free / (8 * vocab)))


def _attention(model: Any) -> str:
    config = getattr(unwrap(model), "config", None)
    return str(getattr(config, "_attn_implementation", None) or "")


def _score_rows(model: Any, rows: Sequence[_Row], pad: int) -> list[tuple[int, float, bool]]:
    """(request index, log-prob, greedy) for every branch of ``rows``, in one left-padded forward pass."""
    import torch

    device = next(model.parameters()).device
    width = max(len(row.tokens) for row in rows)
    keep = max(row.scored for row in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    allowed = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1)  # padding attends to itself only
    for r, row in enumerate(rows):
        tokens, n = row.tokens, len(row.ctx)
        off = width - len(tokens)
        branch = [-1] * n + [b for b, (_, cont) in enumerate(row.branches) for _ in cont[:-1]]
        ids[r, off:] = torch.tensor(tokens)
        positions[r, off:] = torch.tensor(list(range(n)) + [n + j for _, cont in row.branches
                                                            for j in range(len(cont) - 1)])
        tag = torch.tensor(branch)
        # a key is visible if it is not later and lies in the context or in the query's own branch
        allowed[r, off:, off:] = torch.ones(len(tokens), len(tokens), dtype=torch.bool).tril() & (
            (tag[None, :] == -1) | (tag[None, :] == tag[:, None]))
    mask: Any = allowed[:, None]
    if _attention(model) == "eager":  # eager attention adds the mask to the scores
        dtype = model.get_input_embeddings().weight.dtype
        mask = torch.zeros(mask.shape, dtype=dtype).masked_fill_(~mask, torch.finfo(dtype).min)
    with torch.inference_mode():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                       **last_logits_only(model, keep)).logits[:, -keep:]
    out: list[tuple[int, float, bool]] = []
    for r, row in enumerate(rows):
        start = keep - row.scored  # the context's last token, in the kept logits
        logprobs = torch.log_softmax(logits[r, start:].float(), dim=-1)
        at = 1
        for i, cont in row.branches:
            span = [0, *range(at, at + len(cont) - 1)]
            at += len(cont) - 1
            targets = torch.tensor(cont, device=logprobs.device)
            picked = logprobs[span]
            out.append((i, float(picked.gather(1, targets[:, None]).sum()), bool((picked.argmax(-1) == targets).all())))
    return out


def _score_plain(model: Any, rows: Sequence[_Row], pad: int) -> list[tuple[int, float, bool]]:
    """(request index, log-prob, greedy) for one-branch ``rows``, right-padded with a 2D mask (lm-eval's way)."""
    import torch

    device = next(model.parameters()).device
    width = max(len(row.tokens) for row in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, : len(row.tokens)] = torch.tensor(row.tokens)
        mask[r, : len(row.tokens)] = 1
    with torch.inference_mode():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
    out: list[tuple[int, float, bool]] = []
    for r, row in enumerate(rows):
        (i, cont), end = row.branches[0], len(row.tokens)
        targets = torch.tensor(cont, device=logits.device)
        span = torch.log_softmax(logits[r, end - len(cont) : end].float(), dim=-1)
        out.append((i, float(span.gather(1, targets[:, None]).sum()), bool((span.argmax(-1) == targets).all())))
    return out


def _shared_rows_work(model: Any, rows: Sequence[_Row], pad: int) -> bool:
    """Whether shared rows give this model's plain scores: known per model after one probe on a few rows."""
    if _attention(model) not in ("sdpa", "eager") or prompt_learning(model):
        return False
    if model not in _TREE_OK:
        sample = sorted(rows, key=lambda row: (-len(row.branches), len(row.tokens)))[:2]
        single = [_Row(row.ctx, [branch]) for row in sample for branch in row.branches]
        plain = {i: logprob for i, logprob, _ in _score_plain(model, single, pad)}
        try:
            shared = {i: logprob for i, logprob, _ in _score_rows(model, sample, pad)}
        except (RuntimeError, ValueError, TypeError, IndexError):  # a forward that rejects 4D masks or position ids
            shared = {}
        dtype = str(model.get_input_embeddings().weight.dtype).removeprefix("torch.")
        tolerance = PROBE_TOLERANCE.get(dtype, 0.1)
        _TREE_OK[model] = bool(shared) and all(abs(shared[i] - lp) <= tolerance * max(1.0, abs(lp))
                                               for i, lp in plain.items())
    return _TREE_OK[model]


def _rows(encoded: Sequence[tuple[list[int], list[int]]], limit: int, share: bool) -> list[_Row]:
    """Requests grouped into rows by their (truncated) context; a row stays within ``limit`` tokens."""
    rows: list[_Row] = []
    open_rows: dict[tuple[int, ...], _Row] = {}
    for i, (ctx, cont) in enumerate(encoded):
        whole = (ctx + cont)[-(limit + 1):]  # too long: drop tokens from the left, as lm-eval does
        n = min(len(cont), len(whole) - 1)
        ctx, cont = whole[:-n], whole[-n:]
        row = open_rows.get(tuple(ctx)) if share else None
        if row is not None and len(row.tokens) + len(cont) - 1 <= limit:
            row.branches.append((i, cont))
            continue
        row = _Row(ctx, [(i, cont)])
        rows.append(row)
        if share:
            open_rows[tuple(ctx)] = row
    return rows


def loglikelihood(
    model: Any,
    tokenizer: Any,
    requests: Sequence[tuple[str, str]],
    batch_size: int | None = None,
    max_length: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[tuple[float, bool]]:
    """For each (context, continuation): (sum of log-probs of the continuation tokens, is greedy).

    ``batch_size`` caps the rows of a batch (requests sharing a context share a row). ``on_batch`` is called
    after each batch with the number of requests it finished (progress).
    """
    if not requests:
        return []
    limit = max_length or int(getattr(model.config, "max_position_embeddings", 2048))
    encoded = [encode_pair(tokenizer, context, continuation) for context, continuation in requests]
    results: list[tuple[float, bool]] = [(0.0, True)] * len(requests)
    todo = [i for i, (_, cont) in enumerate(encoded) if cont]
    if on_batch is not None and len(todo) < len(requests):
        on_batch(len(requests) - len(todo))  # empty continuations: nothing to compute
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    rows = _rows([encoded[i] for i in todo], limit, share=True)
    shared = bool(rows) and _shared_rows_work(model, rows, pad)
    if not shared:
        rows = _rows([encoded[i] for i in todo], limit, share=False)
    lengths = [len(row.tokens) for row in rows]
    max_rows = min(batch_size or MAX_BATCH_ROWS, MAX_BATCH_ROWS)
    tokens, scored = _budget(model)
    if not shared:
        tokens = scored  # the plain path keeps the logits of every position
    if batch_size is not None and lengths:
        tokens = max(tokens, max_rows * max(lengths))
    score = _score_rows if shared else _score_plain
    for planned in plan_batches(lengths, 0, tokens, max_rows):
        for batch in _within_logits(planned, rows, scored) if shared else [planned]:
            for i, logprob, greedy in score(model, [rows[r] for r in batch], pad):
                results[todo[i]] = (logprob, greedy)
            if on_batch is not None:
                on_batch(sum(len(rows[r].branches) for r in batch))
    return results


def _within_logits(batch: list[int], rows: Sequence[_Row], scored: int) -> list[list[int]]:
    """``batch`` cut so that its rows x their most scored positions stay within ``scored`` kept logits."""
    out: list[list[int]] = [[]]
    most = 0
    for r in batch:
        if out[-1] and (len(out[-1]) + 1) * max(most, rows[r].scored) > scored:
            out.append([])
            most = 0
        out[-1].append(r)
        most = max(most, rows[r].scored)
    return out
