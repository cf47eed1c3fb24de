"""Task accuracy: the domain task, candidate and baseline on the same items, greedy batched generation."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from harness.engine import DecodingParams, render_prompt
from harness.evalsets import load_eval_set
from harness.scorers import exact_match, normalised_match

pytestmark = pytest.mark.suite("task")
DEFAULT_DATA = Path(__file__).parent / "data" / "task_eval.jsonl"
DEMO_SET = ("no --task-data given, so the task suite judges this model on the demo's ICD-10-CM coding set "
            f"({DEFAULT_DATA}), which says nothing about a model of another domain: pass --task-data FILE, your "
            "domain's eval JSONL (docs/writing-a-suite.md, 'The eval JSONL schema')")


def demo_model(tunegate) -> bool:
    """A model of the demo: the shipped base (examples/build_base.py writes BUILD.json beside it) or a candidate
    trained from it, for which the default set is the right one."""
    roots = [tunegate.options.candidate]
    if tunegate.manifest is not None:
        roots.append(tunegate.manifest.resolve(tunegate.options.candidate, tunegate.manifest.base_model))
    return any((Path(root) / "BUILD.json").is_file() for root in roots)


def test_task_accuracy(tunegate) -> None:
    """Candidate and baseline on the same items, a chunk at a time: the gate stops once the task rules are
    decided (``tunegate.chunks``; ``--no-sequential`` evaluates every item in one go)."""
    path = tunegate.options.extra.get("task_data") or DEFAULT_DATA
    if path == DEFAULT_DATA and not demo_model(tunegate):
        warnings.warn(DEMO_SET, UserWarning, stacklevel=1)
    items = load_eval_set(path)
    tunegate.use_data(path)
    for chunk in tunegate.chunks(items, suite="task"):
        for role in ("candidate", "baseline"):
            tokenizer = tunegate.tokenizer(role)  # weights load only if the cache misses
            prompts = [render_prompt(tokenizer, item.messages) for item in chunk]
            outputs = tunegate.generate(role, prompts, DecodingParams(max_new_tokens=24))
            assert len(outputs) == len(chunk)
            for metric, score in (("exact_match", exact_match), ("normalised_match", normalised_match)):
                tunegate.record_samples("task", role, metric, [
                    {"example_id": item.id, "category": item.category, "prompt": prompt, "output": out.text,
                     "reference": item.answers[0], "score": score(out.text, item.answers),
                     "latency_ms": out.latency_ms}
                    for item, prompt, out in zip(chunk, prompts, outputs, strict=True)
                ])
