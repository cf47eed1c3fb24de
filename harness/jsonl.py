"""Strict JSONL reading: every fault names the file and the 1-based line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import DataError


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise DataError on the first fault."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found", "check the path")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(path, number, f"invalid UTF-8 at byte {exc.start}", "re-encode the file as UTF-8") from None
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})", "one JSON object per line") from None
            except (RecursionError, ValueError) as exc:  # too deep, or an integer over Python's digit limit
                fault = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise DataError(path, number, f"invalid JSON: {fault}", "one plain JSON object per line") from None
            if not isinstance(row, dict):
                raise DataError(path, number, f"expected a JSON object, got {type(row).__name__}")
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
