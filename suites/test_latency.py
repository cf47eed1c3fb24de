"""Latency and throughput: candidate vs baseline on the same prompts, warm-up excluded.

Metrics per role: ``ttft_ms``, ``per_token_ms``, ``e2e_p50_ms``, ``e2e_p95_ms`` (batch 1), ``tokens_per_s`` and
``ms_per_token_batched`` (= 1000 / tokens_per_s, so a ratio rule can cap it) at ``--latency-batch``, and
``peak_memory_mb``. Per-request end-to-end latencies are stored as samples (metric ``e2e_ms``).

An adapter candidate is measured as it would be served, merged (peft ``merge_and_unload`` on a copy; the
loaded model is untouched); the unmerged adapter is measured too, giving ``adapter_e2e_p50_ms`` and
``adapter_overhead`` (= adapter p50 / merged p50).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.evalsets import load_eval_set
from harness.latency import measure, merged_copy
from harness.template import render_prompt

pytestmark = pytest.mark.suite("latency")
DATA = Path(__file__).parent / "data"
N_PROMPTS = 6


def _prompts(tunegate, tokenizer) -> tuple[list[str], list[str]]:
    items = load_eval_set(tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl")[:N_PROMPTS]
    return [i.id for i in items], [render_prompt(tokenizer, i.messages) for i in items]


@pytest.mark.parametrize("role", ["baseline", "candidate"])
def test_latency(tunegate, role: str) -> None:
    loaded = tunegate.model(role)
    ids, prompts = _prompts(tunegate, loaded.tokenizer)
    extra = tunegate.options.extra
    new_tokens = int(extra.get("latency_new_tokens") or 16)
    model = merged_copy(loaded.model) if loaded.is_adapter else loaded.model
    report = measure(model, loaded.tokenizer, prompts, new_tokens=new_tokens,
                     batch_size=int(extra.get("latency_batch") or 8))
    assert report.ttft_ms > 0 and report.tokens_per_s > 0
    for metric in ("ttft_ms", "per_token_ms", "e2e_p50_ms", "e2e_p95_ms", "tokens_per_s", "peak_memory_mb"):
        tunegate.record_metric("latency", role, metric, getattr(report, metric), len(prompts))
    tunegate.record_metric("latency", role, "ms_per_token_batched", 1000.0 / report.tokens_per_s, report.batch_size)
    tunegate.record_samples("latency", role, "e2e_ms", [
        {"example_id": i, "prompt": p, "score": ms, "latency_ms": ms}
        for i, p, ms in zip(ids, prompts, report.samples_ms, strict=True)
    ])
    if loaded.is_adapter:
        del model
        adapter = measure(loaded.model, loaded.tokenizer, prompts, new_tokens=new_tokens, batch_size=1, warmup=1)
        tunegate.record_metric("latency", role, "adapter_e2e_p50_ms", adapter.e2e_p50_ms, len(prompts))
        tunegate.record_metric("latency", role, "adapter_overhead", adapter.e2e_p50_ms / report.e2e_p50_ms,
                               len(prompts))
