"""Latency and throughput: candidate vs baseline on the same prompts, warm-up excluded.

Metrics per role: ``ttft_ms``, ``per_token_ms``, ``e2e_p50_ms``, ``e2e_p95_ms`` (batch 1), ``tokens_per_s`` and
``ms_per_token_batched`` (= 1000 / tokens_per_s, so a ratio rule can cap it) at ``--latency-batch``, and
``peak_memory_mb``. Per-request end-to-end latencies are stored as samples (metric ``e2e_ms``). The two roles
are timed interleaved, call by call.

An adapter candidate is measured as it would be served, merged (peft ``merge_and_unload`` on a copy; the
loaded model is untouched); the unmerged adapter is measured too at batch 1, giving ``adapter_e2e_p50_ms`` and
``adapter_overhead`` (= adapter p50 / merged p50).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.engine import render_prompt
from harness.evalsets import load_eval_set
from harness.scorers import measure, merged_copy
from harness.session import ROLES

pytestmark = pytest.mark.suite("latency")
DATA = Path(__file__).parent / "data"
N_PROMPTS = 4


def _prompts(tunegate, tokenizer) -> tuple[list[str], list[str]]:
    items = load_eval_set(tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl")[:N_PROMPTS]
    return [i.id for i in items], [render_prompt(tokenizer, i.messages) for i in items]


def test_latency(tunegate) -> None:
    """Both roles in one test, timed interleaved (``harness.scorers.latency.measure``), so a slow patch of a shared CPU
    stretches both sides of each ratio rule rather than whichever model was being timed then."""
    extra = tunegate.options.extra
    subjects: dict[str, tuple[Any, Any, list[str]]] = {}
    ids: list[str] = []
    adapters = []
    for role in ROLES:
        loaded = tunegate.model(role)
        ids, prompts = _prompts(tunegate, loaded.tokenizer)
        subjects[role] = (merged_copy(loaded.model) if loaded.is_adapter else loaded.model, loaded.tokenizer, prompts)
        if loaded.is_adapter:  # also as loaded, unmerged: what serving it without merging would cost
            subjects[f"{role} unmerged"] = (loaded.model, loaded.tokenizer, prompts)
            adapters.append(role)
    reports = measure(subjects, new_tokens=int(extra.get("latency_new_tokens") or 8),
                      batch_size=int(extra.get("latency_batch") or 8), batched=ROLES)  # the rules' roles
    for role in ROLES:
        report = reports[role]
        assert report.ttft_ms > 0 and report.tokens_per_s > 0
        for metric in ("ttft_ms", "per_token_ms", "e2e_p50_ms", "e2e_p95_ms", "tokens_per_s", "peak_memory_mb"):
            tunegate.record_metric("latency", role, metric, getattr(report, metric), len(ids))
        tunegate.record_metric("latency", role, "ms_per_token_batched", 1000.0 / report.tokens_per_s,
                               report.batch_size)
        tunegate.record_samples("latency", role, "e2e_ms", [
            {"example_id": i, "prompt": p, "score": ms, "latency_ms": ms}
            for i, p, ms in zip(ids, subjects[role][2], report.samples_ms, strict=True)
        ])
    for role in adapters:
        unmerged = reports[f"{role} unmerged"].e2e_p50_ms
        tunegate.record_metric("latency", role, "adapter_e2e_p50_ms", unmerged, len(ids))
        tunegate.record_metric("latency", role, "adapter_overhead", unmerged / reports[role].e2e_p50_ms, len(ids))
