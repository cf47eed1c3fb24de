"""Fixtures for data-preparation tests: small chat rows and files written line by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def chat(user: str, assistant: str, **extra: object) -> dict:
    """One chat SFT row."""
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}], **extra}


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    """Write raw lines (dicts become JSON) to a JSONL file."""
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def make_file(tmp_path: Path):
    """make_file(lines, name='in.jsonl') -> path."""

    def make(lines: list[str | dict], name: str = "in.jsonl") -> Path:
        return write_lines(tmp_path / name, lines)

    return make
