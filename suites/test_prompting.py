"""Prompting baseline: does fine-tuning beat few-shot prompting of the base model?

The base model (the candidate with its adapter disabled, or the baseline for a full-model candidate) answers
the task set with ``--fewshot-k`` examples retrieved by BM25 from the candidate's training data (its manifest's,
``--train-data``, or what ``tunegate import --train-data`` recorded), placed as
earlier chat turns. Recorded under suite ``prompting``, metric ``normalised_match``: role ``candidate`` = the
fine-tune zero-shot, role ``baseline`` = the few-shot base model, so the ordinary paired ``superiority`` rule
demands the fine-tune beat it. Also ``prompt_tokens`` per request for each (the cost of few-shot context) and
``finetune_minus_fewshot`` with its paired bootstrap CI.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from harness.engine import DecodingParams, generate, render_prompt
from harness.evalsets import load_eval_set
from harness.gate import paired_bootstrap
from harness.jsonl import read_jsonl
from harness.scorers import BM25, normalised_match, row_text

pytestmark = pytest.mark.suite("prompting")
DATA = Path(__file__).parent / "data"


def _shots(tunegate) -> list[list[dict[str, str]]]:
    path = tunegate.train_data
    if path is None:
        why = (f"few-shot examples are retrieved from the candidate's training data, which is unknown (no manifest "
               f"naming it); {tunegate.train_data_hint}")
        tunegate.note_missing("prompting", why)
        pytest.fail(f"{tunegate.options.candidate}: {why}", pytrace=False)
    return [[m for m in r["messages"] if m["role"] != "system"] for r in read_jsonl(path) if r.get("messages")]


def _base_model(tunegate):
    loaded = tunegate.model("candidate")
    if loaded.is_adapter:
        return loaded.model, loaded.tokenizer, loaded.model.disable_adapter()
    base = tunegate.model("baseline")
    return base.model, base.tokenizer, contextlib.nullcontext()


def test_finetune_beats_fewshot(tunegate) -> None:
    shots = _shots(tunegate)
    k = int(tunegate.options.extra.get("fewshot_k") or 3)
    index = BM25([row_text({"messages": s}) for s in shots])
    items = load_eval_set(tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl")
    params = DecodingParams(max_new_tokens=16)

    cand = tunegate.model("candidate")
    zero_prompts = [render_prompt(cand.tokenizer, item.messages) for item in items]
    zero_out = generate(cand.model, cand.tokenizer, zero_prompts, params, batch_size=tunegate.options.batch_size)

    model, tokenizer, context = _base_model(tunegate)
    few_prompts = []
    for item in items:
        query = row_text({"messages": item.messages})
        system = [m for m in item.messages if m["role"] == "system"]
        rest = [m for m in item.messages if m["role"] != "system"]
        examples = [m for i in index.top(query, k) for m in shots[i]]
        few_prompts.append(render_prompt(tokenizer, [*system, *examples, *rest]))
    with context:
        few_out = generate(model, tokenizer, few_prompts, params, batch_size=tunegate.options.batch_size)

    for role, prompts, outs, tok in (("candidate", zero_prompts, zero_out, cand.tokenizer),
                                     ("baseline", few_prompts, few_out, tokenizer)):
        tunegate.record_samples("prompting", role, "normalised_match", [
            {"example_id": item.id, "category": item.category, "prompt": p, "output": o.text,
             "reference": item.answers[0], "score": normalised_match(o.text, item.answers), "latency_ms": o.latency_ms}
            for item, p, o in zip(items, prompts, outs, strict=True)
        ])
        tokens = [len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        tunegate.record_metric("prompting", role, "prompt_tokens", sum(tokens) / len(tokens), len(tokens))
    est = paired_bootstrap([normalised_match(o.text, i.answers) for i, o in zip(items, zero_out, strict=True)],
                           [normalised_match(o.text, i.answers) for i, o in zip(items, few_out, strict=True)],
                           confidence=tunegate.policy.confidence, resamples=tunegate.policy.resamples)
    tunegate.record_metric("prompting", "candidate", "finetune_minus_fewshot", est.delta, est.n,
                           (est.ci_low, est.ci_high))
