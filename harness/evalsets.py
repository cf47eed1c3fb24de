"""Eval-set loading: JSONL items with an id, a prompt (or messages) and a reference answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.jsonl import iter_jsonl


@dataclass(frozen=True)
class EvalItem:
    """One eval example."""

    id: str
    messages: list[dict[str, str]]
    answers: tuple[str, ...]
    category: str | None = None
    meta: dict[str, Any] | None = None


def load_eval_set(path: str | Path, *, need_answer: bool = True) -> list[EvalItem]:
    """Load ``{"id", "prompt"|"messages", "answer"(str|list), "category"?}`` rows; faults name file and line."""
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for line, row in iter_jsonl(path):
        example_id = row.get("id", f"line-{line}")
        if not isinstance(example_id, (str, int)):
            raise DataError(path, line, f"field 'id' must be a string, got {type(example_id).__name__}")
        example_id = str(example_id)
        if example_id in seen:
            raise DataError(path, line, f"duplicate id {example_id!r} (first on line {seen[example_id]})")
        seen[example_id] = line
        if "messages" in row:
            messages = row["messages"]
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") in ("system", "user", "assistant")
                for m in messages
            ) or not messages:
                raise DataError(path, line, "field 'messages' must be a list of {role, content}")
        elif isinstance(row.get("prompt"), str) and row["prompt"].strip():
            messages = [{"role": "user", "content": row["prompt"]}]
        else:
            raise DataError(path, line, "needs a non-empty 'prompt' string or a 'messages' list")
        answer = row.get("answer")
        answers = (answer,) if isinstance(answer, str) else tuple(answer) if isinstance(answer, list) else ()
        if need_answer and (not answers or not all(isinstance(a, str) for a in answers)):
            raise DataError(path, line, "field 'answer' must be a string or a list of strings")
        category = row.get("category")
        meta = {k: v for k, v in row.items() if k not in ("id", "prompt", "messages", "answer", "category")}
        items.append(EvalItem(example_id, messages, answers, str(category) if category is not None else None, meta))
    if not items:
        raise DataError(path, None, "eval set is empty", "an empty eval set can decide nothing")
    return items
