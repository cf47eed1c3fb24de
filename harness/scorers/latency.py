"""Latency and throughput of one loaded model: time to first token, per-token latency, end-to-end p50/p95 at
batch 1, tokens/s at a batch size, and peak memory. Warm-up calls are run and excluded.

Generation length is pinned (min_new_tokens = max_new_tokens) so candidate and baseline do the same work even
when one of them stops early. Peak memory is CUDA's max_memory_allocated on GPU; on CPU it is the peak of the
process's resident set while measuring, sampled from /proc (psutil), which includes everything the process holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
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


def _generate(model: Any, tokenizer: Any, prompts: list[str], new_tokens: int) -> tuple[float, float]:
    """One timed ``generate`` call: (ms to the first new token, ms to the last)."""
    import torch
    from transformers.generation.streamers import BaseStreamer

    class FirstToken(BaseStreamer):  # type: ignore[misc]
        """generate() hands a streamer the prompt, then each step's tokens (on the CPU: a device sync)."""

        def __init__(self) -> None:
            self.puts, self.at = 0, 0.0

        def put(self, value: Any) -> None:
            self.puts += 1
            if self.puts == 2:
                self.at = time.perf_counter()

        def end(self) -> None:
            pass

    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    first = FirstToken()
    _sync(device)
    began = time.perf_counter()
    with torch.inference_mode():
        model.generate(**batch, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                       pad_token_id=tokenizer.pad_token_id, streamer=first)
    _sync(device)
    done = time.perf_counter()
    return ((first.at or done) - began) * 1000.0, (done - began) * 1000.0


def _sync(device: Any) -> None:
    import torch

    if getattr(device, "type", "cpu") == "cuda":
        torch.cuda.synchronize(device)


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def measure(subjects: Mapping[str, tuple[Any, Any, list[str]]], *, new_tokens: int = 8, batch_size: int = 8,
            warmup: int = 1, repeats: int = 2, batched: Sequence[str] | None = None) -> dict[str, LatencyReport]:
    """Measure each named ``(model, tokenizer, rendered prompts)`` on its prompts (each at batch 1, then all at
    ``batch_size``), interleaved: every timing alternates between the subjects, in an order that flips each
    repeat, and is the fastest of ``repeats`` runs (noise only ever adds time: a scheduler hiccup must not become
    the measurement; the spread across requests, which p95 is about, comes from the prompts). Time to first token
    comes from the same calls as end-to-end latency (a streamer notes when the first token arrives), so no call is
    made for it alone. Only the subjects named in ``batched`` (default: all) are timed at ``batch_size``; the
    others get no throughput (``nan``).

    The ratio rules compare two models' numbers. Measured one after the other on a shared CPU, a slow patch lands
    on whichever model was being timed then: single runs of two identical-architecture models gave p95 ratios
    from 0.97 to 1.62 across demo runs, and a median of 3 per model, measured in turn, still gave 1.6 for a merged
    adapter against its own base. Interleaved, the same slowdown stretches both sides of the ratio.
    """
    import torch

    names = list(subjects)
    in_batch = [name for name in names if batched is None or name in batched]
    sizes = {len(prompts) for _, _, prompts in subjects.values()}
    if len(sizes) != 1:
        raise ValueError(f"measure: every subject needs the same number of prompts, got {sorted(sizes)}")
    n_prompts = sizes.pop()
    peak = dict.fromkeys(names, _rss_mb())

    def call(name: str, prompts: list[str]) -> tuple[float, float]:
        model, tokenizer, _ = subjects[name]
        tokenizer.padding_side = "left"
        device = next(model.parameters()).device
        cuda = getattr(device, "type", "cpu") == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        ms = _generate(model, tokenizer, prompts, new_tokens)
        peak[name] = max(peak[name], torch.cuda.max_memory_allocated(device) / 2**20 if cuda else _rss_mb())
        return ms

    def timed(batches: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in batches}
        for r in range(max(1, repeats)):
            for name in list(batches) if r % 2 == 0 else reversed(batches):
                runs[name].append(call(name, batches[name]))
        return {name: min(ms, key=lambda run: run[1]) for name, ms in runs.items()}

    for i in range(min(warmup, n_prompts)):
        for name in names:
            call(name, [subjects[name][2][i]])
    ttft: dict[str, list[float]] = {name: [] for name in names}
    e2e: dict[str, list[float]] = {name: [] for name in names}
    for i in range(n_prompts):
        for name, (first, whole) in timed({name: [prompts[i]] for name, (_, _, prompts) in subjects.items()}).items():
            ttft[name].append(first)
            e2e[name].append(whole)
    batches = {name: (subjects[name][2] * (batch_size // max(1, n_prompts) + 1))[:batch_size] for name in in_batch}
    batch_ms = timed(batches) if batch_size > 1 else {name: (0.0, sum(e2e[name]) / n_prompts) for name in in_batch}
    reports = {}
    for name in names:
        per_token = [(e - t) / max(1, new_tokens - 1) for e, t in zip(e2e[name], ttft[name], strict=True)]
        ms = batch_ms[name][1] if name in batch_ms else math.nan
        reports[name] = LatencyReport(
            ttft_ms=float(np.median(ttft[name])), per_token_ms=float(np.median(per_token)),
            e2e_p50_ms=float(np.percentile(e2e[name], 50)), e2e_p95_ms=float(np.percentile(e2e[name], 95)),
            tokens_per_s=batch_size * new_tokens / (ms / 1000.0), batch_size=batch_size,
            new_tokens=new_tokens, peak_memory_mb=peak[name], samples_ms=e2e[name],
        )
    return reports


def merged_copy(model: Any) -> Any:
    """A merged (adapter folded into the weights) copy of a peft model; the original is left untouched."""
    import copy

    return copy.deepcopy(model).merge_and_unload()


__all__ = ["LatencyReport", "measure", "merged_copy"]
