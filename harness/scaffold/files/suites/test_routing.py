"""Ticket routing: an example domain suite (written by `tunegate init`; change it to measure your domain).

Each support ticket must be routed to one team. tunegate's built-in task suite already scores accuracy on this
file (`--task-data suites/data/eval.jsonl`); this suite adds a domain rule of its own: the answer names a real
team, whatever else the model says. Candidate and baseline answer the same items, so the gate can pair them.
"""

from __future__ import annotations

import pytest

from harness.engine import DecodingParams, render_prompt
from harness.scorers import normalised_match

pytestmark = pytest.mark.suite("routing")  # the first half of every `routing.<metric>` a gate.toml rule names
TEAMS = ("billing", "shipping", "returns", "account")


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_routing(tunegate, routing_items, role: str) -> None:
    tokenizer = tunegate.tokenizer(role)  # the weights load only if the generation cache misses
    prompts = [render_prompt(tokenizer, item.messages) for item in routing_items]
    outputs = tunegate.generate(role, prompts, DecodingParams(max_new_tokens=8))
    tunegate.record_samples("routing", role, "valid_team", [
        {"example_id": item.id, "category": item.category, "prompt": prompt, "output": out.text,
         "reference": item.answers[0], "score": normalised_match(out.text, TEAMS), "latency_ms": out.latency_ms}
        for item, prompt, out in zip(routing_items, prompts, outputs, strict=True)
    ])
    assert len(outputs) == len(routing_items)  # the suite measures; the gate (gate.toml) decides
