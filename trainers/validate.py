"""Lenient reading and validation of chat SFT and preference data: every fault is collected with its file, line
and reason instead of stopping at the first, so preparation can either fail with all of them named or move the
faulty rows to a rejects file.

Reads JSONL line by line (so bad UTF-8 and bad JSON are located exactly) and, through ``datasets``, JSON, Parquet
and CSV files (there "line" is the 1-based record number; list-valued columns in CSV may hold JSON text).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import DataError, HarnessError
from harness.jsonl import parse_jsonl
from harness.scorers import redact
from trainers.data import validate_chat

KINDS = ("chat", "preference")
_LIST_FIELDS = ("messages", "chosen", "rejected", "prompt")


@dataclass(frozen=True)
class Fault:
    """One rejected input row: where it was and why. Never holds row content (it may carry personal data)."""

    file: str
    line: int | None
    reason: str
    stage: str = "invalid"

    def to_dict(self) -> dict[str, Any]:
        """The rejects-file entry (personal data a reason might quote, say in an id, is redacted)."""
        return {"file": self.file, "line": self.line, "stage": self.stage, "reason": redact(self.reason)[0]}


@dataclass
class Record:
    """One valid row with its origin."""

    file: str
    line: int
    row: dict[str, Any]
    kind: str


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line, row, fault) for every record of a file; exactly one of row and fault is set."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found", "check the path")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from parse_jsonl(path)
    elif suffix in (".json", ".parquet", ".csv"):
        yield from _iter_datasets(path, suffix.lstrip("."))
    else:
        raise DataError(path, None, f"unknown data format {suffix!r}", "use .jsonl, .json, .parquet or .csv")


def _iter_datasets(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    from datasets import Dataset

    reader = {"json": Dataset.from_json, "parquet": Dataset.from_parquet, "csv": Dataset.from_csv}[fmt]
    try:
        dataset = reader(str(path), keep_in_memory=True)
    except Exception as exc:  # datasets raises many types for unreadable files
        raise DataError(path, None, f"cannot read as {fmt}: {type(exc).__name__}: {str(exc)[:200]}",
                        "check the file format") from None
    for number, row in enumerate(dataset, start=1):
        row = {k: v for k, v in row.items() if v is not None}
        for key in _LIST_FIELDS:
            value = row.get(key)
            if isinstance(value, str) and value.lstrip().startswith("["):
                try:
                    row[key] = json.loads(value)
                except json.JSONDecodeError as exc:
                    yield number, None, f"field {key!r} holds invalid JSON: {exc.msg}"
                    break
        else:
            yield number, row, None


def row_kind(row: dict[str, Any]) -> str:
    """'preference' for rows with chosen/rejected, else 'chat'."""
    return "preference" if "chosen" in row or "rejected" in row else "chat"


def _check_answer(path: str, line: int, row: dict[str, Any], key: str) -> None:
    value = row.get(key)
    if isinstance(value, str):
        if not value.strip():
            raise DataError(path, line, f"field {key!r} is empty")
        return
    if not isinstance(value, list) or not value:
        raise DataError(path, line, f"field {key!r} must be a non-empty string or a list of assistant messages")
    for i, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            raise DataError(path, line, f"{key}[{i}] must be an assistant message", 'use {"role": "assistant", ...}')
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise DataError(path, line, f"{key}[{i}].content is empty or not a string")


def validate_preference(path: str | Path, line: int, row: dict[str, Any]) -> dict[str, Any]:
    """Check one preference row (``prompt`` or ``messages``, ``chosen``, ``rejected``); return the fields kept."""
    path = str(path)
    out: dict[str, Any] = {}
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise DataError(path, line, "field 'messages' must be a non-empty list")
        if isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
            raise DataError(path, line, "preference prompt ends with an assistant turn", "end it with the user turn")
        probe = validate_chat(path, line, {"messages": [*messages, {"role": "assistant", "content": "x"}]})
        out["messages"] = probe["messages"][:-1]
    elif isinstance(row.get("prompt"), str):
        if not row["prompt"].strip():
            raise DataError(path, line, "field 'prompt' is empty")
        out["prompt"] = row["prompt"]
    else:
        raise DataError(path, line, "needs a 'prompt' string or a 'messages' list")
    for key in ("chosen", "rejected"):
        if key not in row:
            raise DataError(path, line, f"missing field {key!r}")
        _check_answer(path, line, row, key)
        out[key] = row[key]
    if row["chosen"] == row["rejected"]:
        raise DataError(path, line, "chosen and rejected are identical", "a preference needs two different answers")
    for key in ("id", "category", "negative"):
        if key in row:
            out[key] = row[key]
    return out


def validate_row(path: str | Path, line: int, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Validate a chat or preference row; return (kind, clean row). Raises DataError naming file and line."""
    kind = row_kind(row)
    if kind == "preference":
        return kind, validate_preference(path, line, row)
    return kind, validate_chat(path, line, row)


def read_records(paths: list[str | Path]) -> tuple[list[Record], list[Fault]]:
    """Read and validate all files: valid records in input order, and a fault for each bad row.

    The kind (chat or preference) is set by the first valid row; rows of the other kind are faults, as are
    ids repeated anywhere across the files.
    """
    records: list[Record] = []
    faults: list[Fault] = []
    seen_ids: dict[str, tuple[str, int]] = {}
    kind: str | None = None
    for path in paths:
        name = str(path)
        for line, row, fault in iter_records(path):
            if fault is not None or row is None:
                faults.append(Fault(name, line, fault or "unreadable row"))
                continue
            try:
                row_kind_, clean = validate_row(name, line, row)
            except DataError as exc:
                faults.append(Fault(name, line, exc.fault))
                continue
            if kind is not None and row_kind_ != kind:
                faults.append(Fault(name, line, f"{row_kind_} row in a {kind} dataset (one dataset, one kind)"))
                continue
            kind = kind or row_kind_
            if "id" in clean:
                key = str(clean["id"])
                if key in seen_ids:
                    first = seen_ids[key]
                    faults.append(Fault(name, line, f"duplicate id {key[:40]!r} (first at {first[0]}:{first[1]})"))
                    continue
                seen_ids[key] = (name, line)
            records.append(Record(name, line, clean, row_kind_))
    return records, faults


def conversations(row: dict[str, Any]) -> list[list[dict[str, str]]]:
    """The row as the message lists training renders (preference rows: prompt + chosen, prompt + rejected)."""
    if "chosen" not in row:
        return [list(row["messages"])]
    prompt = row["messages"] if "messages" in row else [{"role": "user", "content": row["prompt"]}]
    out = []
    for key in ("chosen", "rejected"):
        answer = row[key]
        out.append([*prompt, *([{"role": "assistant", "content": answer}] if isinstance(answer, str) else answer)])
    return out


def check_lengths(records: list[Record], tokenizer_dir: str | Path, max_length: int,
                  batch_size: int = 512) -> tuple[list[Record], list[Fault]]:
    """Drop rows whose chat-template rendering is longer than ``max_length`` tokens of the real tokenizer."""
    if max_length < 1:
        raise HarnessError(f"--max-length must be positive, got {max_length}")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    if not getattr(tokenizer, "chat_template", None):
        raise HarnessError(f"{tokenizer_dir}: tokenizer has no chat template; lengths would not match training")
    kept: list[Record] = []
    faults: list[Fault] = []
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        owner: list[int] = []
        texts: list[str] = []
        for k, record in enumerate(batch):
            for messages in conversations(record.row):
                owner.append(k)
                texts.append(str(tokenizer.apply_chat_template(messages, tokenize=False)))
        lengths = [0] * len(batch)
        for k, ids in zip(owner, tokenizer(texts, add_special_tokens=False)["input_ids"], strict=True):
            lengths[k] = max(lengths[k], len(ids))
        for record, length in zip(batch, lengths, strict=True):
            if length > max_length:
                faults.append(Fault(record.file, record.line, f"too long: {length} tokens > max length {max_length}"))
            else:
                kept.append(record)
    return kept, faults
