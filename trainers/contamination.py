"""Contamination pre-check: training rows that hold an eval item, found before training rather than after.

Builds ``harness.scorers.ContaminationIndex``, the definition the contamination suite uses, over every eval set
given and streams the training rows past it: exact (normalised; the row's prompt side and its whole text), word
n-gram (``n``; an item shorter than that must appear whole) and near (survives rewording), both searching the
whole text, which holds the prompt side. A row is contaminated when any method finds any eval item in it; its
labels say which item and which method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.scorers import METHODS, ContaminationIndex, EvalText, file_items, prompt_text

prompt_side = prompt_text  # the user side of a row: its prompt, or its turns other than assistant and system


@dataclass
class ContaminationReport:
    """Which training rows (by index) hold which eval items, and how."""

    hits: dict[int, list[str]] = field(default_factory=dict)
    eval_items: int = 0
    near: float | None = None  # the near method's threshold (None when no eval set was given)
    methods: dict[str, dict[str, int]] = field(default_factory=dict)  # per method: eval items and rows it flagged

    def add(self, rows: set[int] | list[int], label: str) -> None:
        """Record that ``rows`` overlap the eval item ``label``."""
        for row in rows:
            entries = self.hits.setdefault(row, [])
            if label not in entries:
                entries.append(label)


def contamination_check(rows: Sequence[dict[str, Any]], eval_paths: Sequence[str | Path],
                        n: int = 13) -> ContaminationReport:
    """Find training rows holding any item of the given eval sets (``harness.scorers.ContaminationIndex``)."""
    report = ContaminationReport()
    if not eval_paths:
        return report
    if n < 1:
        raise HarnessError(f"--ngram must be at least 1, got {n}")
    sets: dict[str, list[EvalText]] = {}
    for path in eval_paths:
        name = Path(path).name
        sets[name if name not in sets else str(path)] = file_items(path)
    index = ContaminationIndex(sets, n=n)
    report.eval_items, report.near = len(index.items), index.near
    found = index.scan(rows)
    labels = {"exact": "exact", "ngram": f"{n}-gram", "near": "near"}
    for row, items in found.by_row().items():
        for item, methods in items.items():
            name, entry = index.items[item]
            for method in methods:
                report.add([row], f"{name}#{entry.id} ({labels[method]})")
    counts = found.counts()
    report.methods = {m: {"eval_items": counts["items"][m], "rows": counts["rows"][m]} for m in METHODS}
    return report
