"""Latency and throughput of one loaded model: time to first token, per-token latency, end-to-end p50/p95 at
batch 1, tokens/s at a batch size, and peak memory. Warm-up calls are run and excluded.

Generation length is pinned (min_new_tokens = max_new_tokens) so candidate and baseline do the same work even
when one of them stops early. Peak memory is CUDA's max_memory_allocated on GPU; on CPU it is the peak of the
process's resident set while measuring, sampled from /proc (psutil), which includes everything the process holds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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


def measure(subjects: Mapping[str, tuple[Any, Any, list[str]]], *, new_tokens: int = 16, batch_size: int = 8,
            warmup: int = 2, repeats: int = 3) -> dict[str, LatencyReport]:
    """Measure each named ``(model, tokenizer, rendered prompts)`` on its prompts (each at batch 1, then all at
    ``batch_size``), interleaved: every timing alternates between the subjects, in an order that flips each
    repeat, and is the median of ``repeats`` runs.

    The ratio rules compare two models' numbers. Measured one after the other on a shared CPU, a slow patch lands
    on whichever model was being timed then: single runs of two identical-architecture models gave p95 ratios
    from 0.97 to 1.62 across demo runs, and a median of 3 per model, measured in turn, still gave 1.6 for a merged
    adapter against its own base. Interleaved, the same slowdown stretches both sides of the ratio.
    """
    import torch

    names = list(subjects)
    sizes = {len(prompts) for _, _, prompts in subjects.values()}
    if len(sizes) != 1:
        raise ValueError(f"measure: every subject needs the same number of prompts, got {sorted(sizes)}")
    n_prompts = sizes.pop()
    peak = dict.fromkeys(names, _rss_mb())

    def call(name: str, prompts: list[str], tokens: int) -> float:
        model, tokenizer, _ = subjects[name]
        tokenizer.padding_side = "left"
        device = next(model.parameters()).device
        cuda = getattr(device, "type", "cpu") == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        ms = _generate(model, tokenizer, prompts, tokens)
        peak[name] = max(peak[name], torch.cuda.max_memory_allocated(device) / 2**20 if cuda else _rss_mb())
        return ms

    def timed(batches: dict[str, list[str]], tokens: int) -> dict[str, float]:
        runs: dict[str, list[float]] = {name: [] for name in names}
        for r in range(max(1, repeats)):
            for name in names if r % 2 == 0 else reversed(names):
                runs[name].append(call(name, batches[name], tokens))
        return {name: float(np.median(ms)) for name, ms in runs.items()}

    for i in range(min(warmup, n_prompts)):
        for name in names:
            call(name, [subjects[name][2][i]], new_tokens)
    ttft: dict[str, list[float]] = {name: [] for name in names}
    e2e: dict[str, list[float]] = {name: [] for name in names}
    for i in range(n_prompts):
        single = {name: [prompts[i]] for name, (_, _, prompts) in subjects.items()}
        for name, ms in timed(single, 1).items():
            ttft[name].append(ms)
        for name, ms in timed(single, new_tokens).items():
            e2e[name].append(ms)
    batches = {name: (prompts * (batch_size // max(1, n_prompts) + 1))[:batch_size]
               for name, (_, _, prompts) in subjects.items()}
    if batch_size > 1:
        for name in names:
            call(name, batches[name], new_tokens)  # warm-up at this shape
    batch_ms = timed(batches, new_tokens)
    reports = {}
    for name in names:
        per_token = [(e - t) / max(1, new_tokens - 1) for e, t in zip(e2e[name], ttft[name], strict=True)]
        reports[name] = LatencyReport(
            ttft_ms=float(np.median(ttft[name])), per_token_ms=float(np.median(per_token)),
            e2e_p50_ms=float(np.percentile(e2e[name], 50)), e2e_p95_ms=float(np.percentile(e2e[name], 95)),
            tokens_per_s=batch_size * new_tokens / (batch_ms[name] / 1000.0), batch_size=batch_size,
            new_tokens=new_tokens, peak_memory_mb=peak[name], samples_ms=e2e[name],
        )
    return reports


def merged_copy(model: Any) -> Any:
    """A merged (adapter folded into the weights) copy of a peft model; the original is left untouched."""
    import copy

    return copy.deepcopy(model).merge_and_unload()


__all__ = ["LatencyReport", "measure", "merged_copy"]
