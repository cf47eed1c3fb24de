"""Latency and throughput of one loaded model: time to first token, per-token latency, end-to-end p50/p95 at
batch 1, tokens/s at a batch size, and peak memory. Warm-up calls are run and excluded.

Generation length is pinned (min_new_tokens = max_new_tokens) so candidate and baseline do the same work even
when one of them stops early. Peak memory is CUDA's max_memory_allocated on GPU; on CPU it is the peak of the
process's resident set while measuring, sampled from /proc (psutil), which includes everything the process holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LatencyReport:
    """Milliseconds unless named otherwise."""

    ttft_ms: float
    per_token_ms: float
    e2e_p50_ms: float
    e2e_p95_ms: float
    tokens_per_s: float
    batch_size: int
    new_tokens: int
    peak_memory_mb: float
    samples_ms: list[float]


def _generate(model: Any, tokenizer: Any, prompts: list[str], new_tokens: int) -> float:
    import torch

    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    _sync(device)
    began = time.perf_counter()
    with torch.inference_mode():
        model.generate(**batch, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                       pad_token_id=tokenizer.pad_token_id)
    _sync(device)
    return (time.perf_counter() - began) * 1000.0


def _sync(device: Any) -> None:
    import torch

    if getattr(device, "type", "cpu") == "cuda":
        torch.cuda.synchronize(device)


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def measure(model: Any, tokenizer: Any, prompts: list[str], *, new_tokens: int = 16, batch_size: int = 8,
            warmup: int = 2, repeats: int = 3) -> LatencyReport:
    """Measure one model on rendered ``prompts`` (each run at batch 1, then all at ``batch_size``).

    Every timing is the median of ``repeats`` runs: on a shared CPU one run can be stretched by a scheduler hiccup,
    and the ratio rules compare two such numbers (measured: single runs of two identical-architecture models gave
    p95 ratios from 0.97 to 1.62 across demo runs).
    """
    import torch

    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    cuda = getattr(device, "type", "cpu") == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    peak = _rss_mb()
    for prompt in prompts[:warmup]:
        _generate(model, tokenizer, [prompt], new_tokens)

    def timed(batch: list[str], tokens: int) -> float:
        return float(np.median([_generate(model, tokenizer, batch, tokens) for _ in range(max(1, repeats))]))

    ttft, e2e = [], []
    for prompt in prompts:
        ttft.append(timed([prompt], 1))
        e2e.append(timed([prompt], new_tokens))
        peak = max(peak, _rss_mb())
    batch = (prompts * (batch_size // max(1, len(prompts)) + 1))[:batch_size]
    if batch_size > 1:
        _generate(model, tokenizer, batch, new_tokens)  # warm-up at this shape
    batch_ms = timed(batch, new_tokens)
    peak = max(peak, _rss_mb())
    if cuda:
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    ttft_ms = float(np.median(ttft))
    per_token = [(e - t) / max(1, new_tokens - 1) for e, t in zip(e2e, ttft, strict=True)]
    return LatencyReport(
        ttft_ms=ttft_ms, per_token_ms=float(np.median(per_token)),
        e2e_p50_ms=float(np.percentile(e2e, 50)), e2e_p95_ms=float(np.percentile(e2e, 95)),
        tokens_per_s=batch_size * new_tokens / (batch_ms / 1000.0), batch_size=batch_size, new_tokens=new_tokens,
        peak_memory_mb=peak, samples_ms=e2e,
    )


def merged_copy(model: Any) -> Any:
    """A merged (adapter folded into the weights) copy of a peft model; the original is left untouched."""
    import copy

    return copy.deepcopy(model).merge_and_unload()


__all__ = ["LatencyReport", "measure", "merged_copy"]
