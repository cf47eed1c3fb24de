"""Contamination pre-check: training rows that overlap an eval set, found before training rather than after.

Uses ``harness.overlap.find_overlap`` (the measure the contamination suite uses) twice: the whole training row
against the whole eval item (prompt plus reference answers), and the training row's prompt side against the eval
prompt. A row is contaminated when either comparison finds an exact normalised match or a shared word n-gram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.evalsets import load_eval_set
from harness.overlap import find_overlap
from trainers.dedupe import prompt_text


def content_text(row: dict[str, Any]) -> str:
    """Every text of a row, untagged (prompt, turns, chosen answer)."""
    parts: list[str] = []
    if isinstance(row.get("prompt"), str):
        parts.append(row["prompt"])
    parts.extend(m["content"] for m in row.get("messages", []))
    chosen = row.get("chosen")
    if isinstance(chosen, str):
        parts.append(chosen)
    elif isinstance(chosen, list):
        parts.extend(m["content"] for m in chosen)
    return "\n".join(parts)


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
    full = [content_text(r) for r in rows]
    prompts = [prompt_text(r) for r in rows]
    for path in eval_paths:
        items = load_eval_set(path, need_answer=False)
        report.eval_items += len(items)
        eval_prompts = [(i.id, "\n".join(m["content"] for m in i.messages if m["role"] != "assistant")) for i in items]
        eval_full = [(i.id, "\n".join([*(m["content"] for m in i.messages), *i.answers])) for i in items]
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
