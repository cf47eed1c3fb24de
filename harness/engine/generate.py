"""Batched greedy generation: prompts sorted by length, left padding, results back in input order.

Batches are planned from token counts, not a fixed row count: consecutive prompts of the length-sorted list
share a batch while ``rows x (longest prompt + max_new_tokens)`` stays inside a token budget, so short prompts
travel in big batches and long ones in small batches. The budget comes from free accelerator memory (KV cache
per token) on GPUs and from a fixed tokens-per-batch heuristic on CPU; an explicit ``batch_size`` caps rows.
Stop strings end a row inside ``model.generate`` (transformers ``stop_strings``) so nothing is decoded past
them; the returned text is cut at the first stop string.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

CPU_TOKENS_PER_BATCH = 8192
MAX_BATCH_ROWS = 256


@dataclass(frozen=True)
class Generation:
    """One model output with its cost (``cached``: served from the generation cache, not recomputed)."""

    text: str
    new_tokens: int
    latency_ms: float
    cached: bool = False


@dataclass(frozen=True)
class DecodingParams:
    """Decoding settings; every field is part of the generation cache key."""

    max_new_tokens: int = 32
    do_sample: bool = False
    stop: tuple[str, ...] = field(default_factory=tuple)

    def key_parts(self) -> dict[str, Any]:
        """The canonical form hashed into cache keys."""
        return {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample, "stop": list(self.stop)}


def token_budget(model: Any, max_rows: int = MAX_BATCH_ROWS) -> int:
    """Tokens one batch may hold: from free CUDA memory and the KV-cache size per token, else a CPU heuristic."""
    import torch

    device = next(model.parameters()).device
    if device.type != "cuda":
        return CPU_TOKENS_PER_BATCH
    config = getattr(model, "config", None)
    layers = int(getattr(config, "num_hidden_layers", 32))
    hidden = int(getattr(config, "hidden_size", 4096))
    heads = int(getattr(config, "num_attention_heads", 32))
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    dtype_bytes = next(model.parameters()).element_size()
    # K and V per layer, plus activations of the same order; halve free memory for fragmentation and logits.
    per_token = 2 * layers * kv_heads * (hidden // heads) * dtype_bytes + 8 * hidden * dtype_bytes
    free, _ = torch.cuda.mem_get_info(device)
    return max(512, min(int(0.5 * free / per_token), max_rows * 4096))


def plan_batches(lengths: Sequence[int], extra_tokens: int, budget: int, max_rows: int) -> list[list[int]]:
    """Index batches over ``lengths`` sorted longest first, each within ``budget`` padded tokens and ``max_rows``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = (lengths[current[0]] if current else lengths[i]) + extra_tokens
        if current and (len(current) >= max_rows or (len(current) + 1) * width > budget):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to (not including) the earliest stop string."""
    cut = len(text)
    for s in stop:
        at = text.find(s)
        if at != -1:
            cut = min(cut, at)
    return text[:cut]


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    params: DecodingParams = DecodingParams(),
    batch_size: int | None = 16,
    on_batch: Callable[[int], None] | None = None,
) -> list[Generation]:
    """Generate a completion for each rendered prompt (chat template already applied).

    ``batch_size`` caps the rows of a batch; ``None`` lets the token budget alone decide (auto-tuned).
    ``on_batch`` is called after each batch with the number of rows it finished (progress).
    """
    import torch

    if not prompts:
        return []
    tokenizer.padding_side = "left"
    encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    max_rows = min(batch_size or MAX_BATCH_ROWS, MAX_BATCH_ROWS)
    budget = token_budget(model) if batch_size is None else max(token_budget(model), max_rows * (max(lengths) + params.max_new_tokens))
    batches = plan_batches(lengths, params.max_new_tokens, budget, max_rows)
    results: list[Generation | None] = [None] * len(prompts)
    device = next(model.parameters()).device
    eos = tokenizer.eos_token_id
    stop_kwargs: dict[str, Any] = {"stop_strings": list(params.stop), "tokenizer": tokenizer} if params.stop else {}
    for idx in batches:
        batch = tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt", padding=True)
        batch = {k: v.to(device) for k, v in batch.items()}
        began = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                **batch,
                max_new_tokens=params.max_new_tokens,
                do_sample=params.do_sample,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=eos,
                **stop_kwargs,
            )
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        new = out[:, batch["input_ids"].shape[1] :].tolist()
        for row, i in enumerate(idx):
            tokens = new[row]
            if eos in tokens:
                tokens = tokens[: tokens.index(eos)]
            while tokens and tokens[-1] == tokenizer.pad_token_id:
                tokens.pop()
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            if params.stop:
                text = cut_at_stop(text, params.stop)
            results[i] = Generation(text=text, new_tokens=len(tokens), latency_ms=elapsed_ms / len(idx))
        if on_batch is not None:
            on_batch(len(idx))
    return [r for r in results if r is not None]
