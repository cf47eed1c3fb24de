"""Strict JSONL reading: every fault names the file and the 1-based line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import DataError


def parse_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line number, object, None) or (line number, None, fault) for each non-blank line.

    A UTF-8 byte-order mark at the start of the file is accepted (editors on Windows write one); CRLF line ends
    are too. Every JSONL reader of the project goes through here, so all accept the same files.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found", "check the path")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"invalid UTF-8 at byte {exc.start}"
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
                continue
            except (RecursionError, ValueError) as exc:  # too deep, or an integer over Python's digit limit
                yield number, None, "invalid JSON: " + ("nested too deeply" if isinstance(exc, RecursionError) else str(exc))
                continue
            if not isinstance(row, dict):
                yield number, None, f"expected a JSON object, got {type(row).__name__}"
                continue
            yield number, row, None


FIXES = {"invalid UTF-8": "re-encode the file as UTF-8", "invalid JSON": "one JSON object per line"}


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise DataError on the first fault."""
    for number, row, fault in parse_jsonl(path):
        if fault is not None:
            fix = next((f for prefix, f in FIXES.items() if fault.startswith(prefix)), "")
            raise DataError(path, number, fault, fix)
        assert row is not None
        yield number, row


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a whole JSONL file into a list of objects."""
    return [row for _, row in iter_jsonl(path)]


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write rows atomically: a crash never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
