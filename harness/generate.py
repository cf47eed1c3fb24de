"""Batched greedy generation: prompts sorted by length, left padding, results back in input order."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Generation:
    """One model output with its cost."""

    text: str
    new_tokens: int
    latency_ms: float


@dataclass(frozen=True)
class DecodingParams:
    """Decoding settings; part of the generation cache key."""

    max_new_tokens: int = 32
    do_sample: bool = False


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    params: DecodingParams = DecodingParams(),
    batch_size: int = 16,
) -> list[Generation]:
    """Generate a completion for each rendered prompt (chat template already applied)."""
    import torch

    if not prompts:
        return []
    tokenizer.padding_side = "left"
    lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: lengths[i], reverse=True)
    results: list[Generation | None] = [None] * len(prompts)
    device = next(model.parameters()).device
    eos = tokenizer.eos_token_id
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
        batch = {k: v.to(device) for k, v in batch.items()}
        began = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                **batch,
                max_new_tokens=params.max_new_tokens,
                do_sample=params.do_sample,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=eos,
            )
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        new = out[:, batch["input_ids"].shape[1] :]
        for row, i in enumerate(idx):
            tokens = new[row].tolist()
            if eos in tokens:
                tokens = tokens[: tokens.index(eos)]
            while tokens and tokens[-1] == tokenizer.pad_token_id:
                tokens.pop()
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            results[i] = Generation(text=text, new_tokens=len(tokens), latency_ms=elapsed_ms / len(idx))
    return [r for r in results if r is not None]
