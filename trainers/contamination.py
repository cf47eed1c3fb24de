"""Contamination pre-check: training rows that overlap an eval set, found before training rather than after.

Uses ``harness.scorers.overlap.find_overlap`` (the measure the contamination suite uses) twice: the whole training row
against the whole eval item (prompt plus reference answers), and the training row's prompt side against the eval
prompt. A row is contaminated when either comparison finds an exact normalised match or a shared word n-gram.
Eval files that are not chat/prompt eval sets (an lm-eval task's JSONL of questions and choices) are compared as
whole rows, the way the contamination suite reads them (``harness.scorers.contamination.file_texts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.evalsets import load_eval_set
from harness.scorers import file_texts, find_overlap, row_text


def prompt_side(row: dict[str, Any]) -> str:
    """The user side of a row: its prompt, or its turns other than assistant and system."""
    if isinstance(row.get("prompt"), str):
        return str(row["prompt"])
    return "\n".join(m["content"] for m in row.get("messages", []) if m["role"] not in ("assistant", "system"))


@dataclass
class ContaminationReport:
    """Which training rows (by index) overlap which eval items, and how."""

    hits: dict[int, list[str]] = field(default_factory=dict)
    eval_items: int = 0

    def add(self, rows: set[int] | list[int], label: str) -> None:
        """Record that ``rows`` overlap the eval item ``label``."""
        for row in rows:
            entries = self.hits.setdefault(row, [])
            if label not in entries:
                entries.append(label)


def contamination_check(rows: Sequence[dict[str, Any]], eval_paths: Sequence[str | Path],
                        n: int = 13) -> ContaminationReport:
    """Find training rows overlapping any eval item of the given eval sets (exact or shared word ``n``-gram)."""
    report = ContaminationReport()
    if not eval_paths:
        return report
    if n < 1:
        from harness.errors import HarnessError

        raise HarnessError(f"--ngram must be at least 1, got {n}")
    full = [row_text(r) for r in rows]  # system prompts excluded, as the contamination suite reads rows
    prompts = [prompt_side(r) for r in rows]
    for path in eval_paths:
        try:
            items = load_eval_set(path, need_answer=False)
        except DataError:  # not a chat/prompt eval set (an lm-eval task's JSONL): compare whole rows only
            eval_prompts = []
        else:
            eval_prompts = [(i.id, prompt_side({"messages": i.messages})) for i in items]
        eval_full = file_texts(path)
        report.eval_items += len(eval_full)
        for texts, evals in ((full, eval_full), (prompts, eval_prompts)):
            # Exact and n-gram overlap are symmetric, so the (small) eval side is indexed and the training
            # rows are streamed past it: memory grows with the eval set, not with the training set.
            found = find_overlap([text for _, text in evals], ((str(i), t) for i, t in enumerate(texts)),
                                 n=n, near_threshold=None)
            for kind, table in (("exact", found.exact), (f"{n}-gram", found.ngram)):
                for row, eval_indexes in table.items():
                    for e in eval_indexes:
                        report.add([int(row)], f"{Path(path).name}#{evals[e][0]} ({kind})")
    return report
