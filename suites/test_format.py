"""Format consistency: the candidate speaks the production prompt format and the declared output formats.

- ``template_match`` (1/0): the candidate tokenizer's chat template sha256 equals the production template —
  ``[gate] production_template_sha256`` in the policy, else the baseline's template — and equals the template
  sha256 its manifest says training used.
- ``prefix_consistent`` (per conversation): the training rendering (candidate template, full conversation)
  starts with the inference rendering (production template, prompt + generation prompt).
- ``format_ok`` (per item, paired with the baseline): outputs match the item's ``format_regex`` or
  ``json_schema``, for the format set (``--format-data``) and any task item that declares one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine import DecodingParams, render_prompt, template_sha256
from harness.evalsets import load_eval_set
from harness.jsonl import read_jsonl
from harness.scorers import matches_format, prefix_consistent

pytestmark = pytest.mark.suite("format")
DATA = Path(__file__).parent / "data"


def test_chat_template_is_production(tunegate) -> None:
    candidate = tunegate.tokenizer("candidate")
    production = tunegate.policy.production_template_sha256 or template_sha256(tunegate.model("baseline").tokenizer)
    actual = template_sha256(candidate)
    ok = actual == production
    manifest = tunegate.manifest
    if manifest is not None:
        ok = ok and manifest.chat_template_sha256 == production
    tunegate.record_metric("format", "candidate", "template_match", float(ok), 1)
    tunegate.record_samples("format", "candidate", "template_match", [{
        "example_id": "chat_template", "score": float(ok), "output": actual, "reference": production,
        "prompt": f"manifest: {manifest.chat_template_sha256 if manifest else None}",
    }])


def _conversations(tunegate) -> list[list[dict[str, str]]]:
    manifest = tunegate.manifest
    if manifest is not None and manifest.train_data is not None:
        path = manifest.resolve(tunegate.options.candidate, manifest.train_data.path)
        if path.is_file():
            return [r["messages"] for r in read_jsonl(path)[:32] if r.get("messages")]
    items = load_eval_set(tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl")
    return [[*i.messages, {"role": "assistant", "content": i.answers[0]}] for i in items[:32]]


def test_training_rendering_extends_inference_rendering(tunegate) -> None:
    train_tok = tunegate.tokenizer("candidate")
    infer_tok = tunegate.model("baseline").tokenizer
    rows = []
    for i, messages in enumerate(_conversations(tunegate)):
        ok = prefix_consistent(train_tok, infer_tok, messages)
        rows.append({"example_id": f"conv-{i}", "score": float(ok),
                     "prompt": render_prompt(infer_tok, messages[:-1]) if messages[:-1] else None})
    assert rows, "no conversations to check"
    tunegate.record_samples("format", "candidate", "prefix_consistent", rows)


def _format_items(tunegate) -> list:
    path = tunegate.options.extra.get("format_data") or DATA / "format_eval.jsonl"
    tunegate.use_data(path)
    items = [i for i in load_eval_set(path, need_answer=False) if i.meta and ("format_regex" in i.meta or "json_schema" in i.meta)]
    task = tunegate.options.extra.get("task_data") or DATA / "task_eval.jsonl"
    items += [i for i in load_eval_set(task) if i.meta and ("format_regex" in i.meta or "json_schema" in i.meta)]
    return items


def test_declared_output_format(tunegate) -> None:
    """Candidate and baseline on the same items, a chunk at a time: the gate stops once the rules on
    ``format_ok`` are decided (the suite's other rules are judged on the other tests' metrics)."""
    items = _format_items(tunegate)
    assert items, "no eval item declares 'format_regex' or 'json_schema'"
    for chunk in tunegate.chunks(items, suite="format", metrics=["format_ok"]):
        for role in ("candidate", "baseline"):
            tokenizer = tunegate.tokenizer(role)
            prompts = [render_prompt(tokenizer, item.messages) for item in chunk]
            outputs = tunegate.generate(role, prompts, DecodingParams(max_new_tokens=24))
            tunegate.record_samples("format", role, "format_ok", [
                {"example_id": item.id, "category": item.category, "prompt": prompt, "output": out.text,
                 "reference": item.meta.get("format_regex") or str(item.meta.get("json_schema")),
                 "score": float(matches_format(out.text, regex=item.meta.get("format_regex"),
                                               schema=item.meta.get("json_schema"))),
                 "latency_ms": out.latency_ms}
                for item, prompt, out in zip(chunk, prompts, outputs, strict=True)
            ])
