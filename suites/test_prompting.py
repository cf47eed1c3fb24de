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
PARAMS = DecodingParams(max_new_tokens=24)  # the task suite's: its zero-shot answers come from the cache


def _shots(tunegate) -> list[list[dict[str, str]]]:
    path = tunegate.train_data
    if path is None:
        why = (f"few-shot examples are retrieved from the candidate's training data, which is unknown (no manifest "
               f"naming it); {tunegate.train_data_hint}")
        tunegate.note_missing("prompting", why)
        pytest.fail(f"{tunegate.options.candidate}: {why}", pytrace=False)
    return [[m for m in r["messages"] if m["role"] != "system"] for r in read_jsonl(path) if r.get("messages")]


def _base_model(tunegate):
    """(model, tokenizer, a function giving the context to generate in): the candidate with its adapter disabled
    (a fresh context each time: peft's is single-use), else the baseline."""
    loaded = tunegate.model("candidate")
    if loaded.is_adapter:
        return loaded.model, loaded.tokenizer, loaded.model.disable_adapter
    base = tunegate.model("baseline")
    return base.model, base.tokenizer, contextlib.nullcontext


def test_finetune_beats_fewshot(tunegate) -> None:
    """A chunk at a time (``tunegate.chunks``): the gate stops once the rule on ``normalised_match`` is decided.
    The fine-tune's zero-shot answers are the task suite's (same prompts and decoding, so the generation cache
    holds them); the few-shot base model's are generated here."""
    shots = _shots(tunegate)
    k = int(tunegate.options.extra.get("fewshot_k") or 3)
    index = BM25([row_text({"messages": s}) for s in shots])
    items = load_eval_set(tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl")
    model, tokenizer, context = _base_model(tunegate)
    cand_tokenizer = tunegate.tokenizer("candidate")
    scores: dict[str, list[float]] = {"candidate": [], "baseline": []}
    tokens: dict[str, list[int]] = {"candidate": [], "baseline": []}
    for chunk in tunegate.chunks(items, suite="prompting", metrics=["normalised_match"]):
        zero_prompts = [render_prompt(cand_tokenizer, item.messages) for item in chunk]
        zero_out = tunegate.generate("candidate", zero_prompts, PARAMS)
        few_prompts = []
        for item in chunk:
            system = [m for m in item.messages if m["role"] == "system"]
            rest = [m for m in item.messages if m["role"] != "system"]
            examples = [m for i in index.top(row_text({"messages": item.messages}), k) for m in shots[i]]
            few_prompts.append(render_prompt(tokenizer, [*system, *examples, *rest]))
        with context():
            few_out = generate(model, tokenizer, few_prompts, PARAMS, batch_size=tunegate.options.batch_size)
        for role, prompts, outs, tok in (("candidate", zero_prompts, zero_out, cand_tokenizer),
                                         ("baseline", few_prompts, few_out, tokenizer)):
            matched = [normalised_match(o.text, item.answers) for item, o in zip(chunk, outs, strict=True)]
            tunegate.record_samples("prompting", role, "normalised_match", [
                {"example_id": item.id, "category": item.category, "prompt": p, "output": o.text,
                 "reference": item.answers[0], "score": score, "latency_ms": o.latency_ms}
                for item, p, o, score in zip(chunk, prompts, outs, matched, strict=True)
            ])
            scores[role] += matched
            tokens[role] += [len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    for role, counts in tokens.items():
        tunegate.record_metric("prompting", role, "prompt_tokens", sum(counts) / len(counts), len(counts))
    est = paired_bootstrap(scores["candidate"], scores["baseline"], confidence=tunegate.policy.confidence,
                           resamples=tunegate.policy.resamples)
    tunegate.record_metric("prompting", "candidate", "finetune_minus_fewshot", est.delta, est.n,
                           (est.ci_low, est.ci_high))
