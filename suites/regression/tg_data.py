"""lm-eval `custom_dataset` loader for the bundled regression tasks: reads the JSONL beside this file, so the
task YAMLs work from any working directory (lm-eval resolves `data_files` against the cwd, not the YAML)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load(name: str, **_: Any) -> Any:
    """A DatasetDict with one 'test' split from ``<name>.jsonl`` next to this file."""
    import datasets

    text = (HERE / f"{name}.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})
