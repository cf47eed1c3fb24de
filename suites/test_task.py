"""Task accuracy: the domain task, candidate and baseline on the same items, greedy batched generation."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine import DecodingParams, render_prompt
from harness.evalsets import load_eval_set
from harness.scorers import exact_match, normalised_match

pytestmark = pytest.mark.suite("task")
DEFAULT_DATA = Path(__file__).parent / "data" / "task_eval.jsonl"


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_task_accuracy(tunegate, role: str) -> None:
    path = tunegate.options.extra.get("task_data") or DEFAULT_DATA
    items = load_eval_set(path)
    tunegate.use_data(path)
    tokenizer = tunegate.tokenizer(role)  # weights load only if the cache misses
    prompts = [render_prompt(tokenizer, item.messages) for item in items]
    outputs = tunegate.generate(role, prompts, DecodingParams(max_new_tokens=24))
    for metric, score in (("exact_match", exact_match), ("normalised_match", normalised_match)):
        tunegate.record_samples("task", role, metric, [
            {"example_id": item.id, "category": item.category, "prompt": prompt, "output": out.text,
             "reference": item.answers[0], "score": score(out.text, item.answers), "latency_ms": out.latency_ms}
            for item, prompt, out in zip(items, prompts, outputs, strict=True)
        ])
    assert len(outputs) == len(items)
