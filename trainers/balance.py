"""Category balance and negative examples: the report, the skew warning, and an optional per-category cap.

A row is a **negative example** (the model learning to refuse or to flag) when it has ``"negative": true``,
or when its final assistant reply (for preference rows: the chosen answer) opens like a refusal — its first
200 characters match ``REFUSAL`` ("I can't help", "I cannot assist", "I'm sorry, but", "I won't", "As an AI",
"I am unable to", ...). ``"negative": false`` overrides the text rule.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

NO_CATEGORY = "(none)"
REFUSAL = re.compile(
    r"\b(?:I\s*(?:can(?:no|')?t|cannot|won'?t|will not|am not able to|'m not able to|am unable to|'m unable to|"
    r"must decline|do not feel comfortable|don'?t feel comfortable)\s+(?:help|assist|provide|do|comply|share|"
    r"answer|support|fulfil+|give|create|write|discuss)|I'?m sorry,? but|I apologi[sz]e,? but|"
    r"as an AI(?: language model)?,? I)",
    re.IGNORECASE,
)


def category(row: dict[str, Any]) -> str:
    """The row's category, or ``(none)``."""
    value = row.get("category")
    return str(value) if value not in (None, "") else NO_CATEGORY


def _final_answer(row: dict[str, Any]) -> str:
    if "chosen" in row:
        chosen = row["chosen"]
        return chosen if isinstance(chosen, str) else str(chosen[-1]["content"])
    replies = [m["content"] for m in row.get("messages", []) if m["role"] == "assistant"]
    return str(replies[-1]) if replies else ""


def is_negative(row: dict[str, Any]) -> bool:
    """True for a refusal or flag example (see the module docstring for the rule)."""
    flag = row.get("negative")
    if isinstance(flag, bool):
        return flag
    return bool(REFUSAL.search(_final_answer(row)[:200]))


@dataclass
class BalanceReport:
    """Counts per category, their shares, skew and negative examples, with warnings."""

    counts: dict[str, int]
    negatives: int
    max_skew: float
    warnings: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """Smallest category count over the largest (1.0 is perfectly balanced)."""
        if not self.counts:
            return None
        return min(self.counts.values()) / max(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form for report.json."""
        total = sum(self.counts.values())
        return {
            "categories": {k: {"count": v, "share": round(v / total, 4) if total else 0.0}
                           for k, v in sorted(self.counts.items())},
            "smallest_to_largest": round(self.ratio, 4) if self.ratio is not None else None,
            "max_skew": self.max_skew,
            "negatives": self.negatives,
            "warnings": list(self.warnings),
        }


def balance_report(rows: list[dict[str, Any]], max_skew: float = 10.0) -> BalanceReport:
    """Count categories and negatives; warn when largest/smallest exceeds ``max_skew`` or no negatives exist."""
    counts = Counter(category(r) for r in rows)
    negatives = sum(is_negative(r) for r in rows)
    report = BalanceReport(dict(counts), negatives, max_skew)
    if len(counts) > 1 and report.ratio is not None and report.ratio * max_skew < 1:
        smallest = min(counts, key=lambda k: counts[k])
        largest = max(counts, key=lambda k: counts[k])
        report.warnings.append(
            f"category skew {counts[largest]}:{counts[smallest]} ({largest!r} vs {smallest!r}) exceeds "
            f"--max-skew {max_skew:g}; add data for the small category or cap the large one (--cap-per-category)")
    if rows and negatives == 0:
        report.warnings.append(
            "no negative examples (refusals or rows with \"negative\": true); the model will not learn to decline")
    return report


def cap_per_category(rows: list[dict[str, Any]], cap: int | None, seed: int) -> tuple[list[int], list[int]]:
    """Down-sample each category to at most ``cap`` rows, chosen by seed; return (kept, dropped) indexes in order."""
    if cap is None:
        return list(range(len(rows))), []
    if cap < 1:
        from harness.errors import HarnessError

        raise HarnessError(f"--cap-per-category must be at least 1, got {cap}")
    by_cat: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_cat.setdefault(category(row), []).append(i)
    rng = random.Random(seed)
    dropped: set[int] = set()
    for name in sorted(by_cat):
        members = by_cat[name]
        if len(members) > cap:
            dropped.update(rng.sample(members, len(members) - cap))
    return [i for i in range(len(rows)) if i not in dropped], sorted(dropped)
