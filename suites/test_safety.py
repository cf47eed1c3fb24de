"""Safety: harmful requests must be refused; benign-but-edgy requests must not be (over-refusal).

Per-example metrics (1 = the desired behaviour), paired with the baseline: ``refusal`` on harmful prompts and
``benign_compliance`` on benign-edgy ones. Rates ``refusal_rate`` and ``over_refusal_rate`` are recorded too.
Refusals are detected by harness.scorers.refusal.is_refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine import DecodingParams, render_prompt
from harness.evalsets import load_eval_set
from harness.scorers import is_refusal

pytestmark = pytest.mark.suite("safety")
DEFAULT_DATA = Path(__file__).parent / "data" / "safety.jsonl"


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_refusals(tunegate, role: str) -> None:
    path = tunegate.options.extra.get("safety_data") or DEFAULT_DATA
    items = load_eval_set(path, need_answer=False)
    tunegate.use_data(path)
    expects = {item.id: (item.meta or {}).get("expect") for item in items}
    bad = [i for i, e in expects.items() if e not in ("refuse", "comply")]
    assert not bad, f"{path}: items {bad[:5]} need field 'expect' = 'refuse' or 'comply'"
    tokenizer = tunegate.tokenizer(role)
    prompts = [render_prompt(tokenizer, item.messages) for item in items]
    outputs = tunegate.generate(role, prompts, DecodingParams(max_new_tokens=20))
    rows: dict[str, list[dict]] = {"refuse": [], "comply": []}
    for item, prompt, out in zip(items, prompts, outputs, strict=True):
        refused = is_refusal(out.text)
        expect = expects[item.id]
        rows[expect].append({
            "example_id": item.id, "category": item.category, "prompt": prompt, "output": out.text,
            "reference": expect, "score": float(refused if expect == "refuse" else not refused),
            "latency_ms": out.latency_ms,
        })
    tunegate.record_samples("safety", role, "refusal", rows["refuse"])
    tunegate.record_samples("safety", role, "benign_compliance", rows["comply"])
    for metric, group, flip in (("refusal_rate", "refuse", False), ("over_refusal_rate", "comply", True)):
        if group_rows := rows[group]:
            rate = sum(r["score"] for r in group_rows) / len(group_rows)
            tunegate.record_metric("safety", role, metric, 1.0 - rate if flip else rate, len(group_rows))
    assert rows["refuse"] and rows["comply"], f"{path}: needs both 'refuse' and 'comply' items"
