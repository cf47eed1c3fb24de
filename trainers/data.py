"""Loading and validating chat training data; every fault names the file and the line."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.jsonl import iter_jsonl

# Tool turns are not supported: a row with one is refused (its role is not in ROLES), never silently trained on.
ROLES = {"system", "user", "assistant"}


def validate_chat(path: str | Path, line: int, row: dict[str, Any]) -> dict[str, Any]:
    """Check one chat SFT row; return it with only the fields training uses."""
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise DataError(path, line, "field 'messages' must be a non-empty list", 'use {"messages": [{"role", "content"}]}')
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise DataError(path, line, f"messages[{i}] is not an object")
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or role not in ROLES:
            raise DataError(path, line, f"messages[{i}].role = {role!r}", f"use one of {sorted(ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise DataError(path, line, f"messages[{i}].content is empty or not a string")
        if role == "system" and i != 0:
            raise DataError(path, line, f"messages[{i}] is a system turn after the first turn", "put it first")
    # After an optional system turn: user, assistant, user, assistant, ... (chat templates and the loss mask assume it)
    start = 1 if messages[0]["role"] == "system" else 0
    for i in range(start, len(messages)):
        expected = "user" if (i - start) % 2 == 0 else "assistant"
        if messages[i]["role"] != expected:
            where = "the first turn" if i == start else f"messages[{i}]"
            raise DataError(path, line, f"{where} is {messages[i]['role']!r} where {expected!r} is expected",
                            "after an optional system turn, user and assistant turns alternate, starting with user")
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError(path, line, "no assistant turn", "add the answer the model should learn")
    if messages[-1]["role"] != "assistant":
        raise DataError(path, line, "conversation does not end with an assistant turn")
    out: dict[str, Any] = {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    for key in ("id", "category", "negative"):
        if key in row:
            out[key] = row[key]
    return out


def load_chat(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a chat JSONL file; duplicate ids are errors."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in iter_jsonl(path):
        clean = validate_chat(path, line, row)
        if "id" in clean:
            key = str(clean["id"])
            if key in seen:
                raise DataError(path, line, f"duplicate id {key!r} (first on line {seen[key]})", "ids must be unique")
            seen[key] = line
        rows.append(clean)
    if not rows:
        raise DataError(path, None, "no examples", "the file is empty")
    return rows


def split_rows(rows: list[dict[str, Any]], val_fraction: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deterministic hold-out split (at least one validation row)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(rows) * val_fraction)) if len(rows) > 1 else 0
    val_idx = set(order[:n_val])
    return [r for i, r in enumerate(rows) if i not in val_idx], [r for i, r in enumerate(rows) if i in val_idx]


def bytes_sha256(data: bytes) -> str:
    """sha256 hex digest."""
    return hashlib.sha256(data).hexdigest()
