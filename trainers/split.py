"""Stratified, cluster-aware train/val split.

Rows are grouped into clusters (near-duplicate components; a singleton otherwise) and whole clusters are
assigned, so no near-duplicate pair straddles train and val. Within each category (a cluster belongs to the
category of its first row) clusters are shuffled by seed and taken into val until the category's share is met.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError
from trainers.balance import category

MIN_VAL_FRACTION = 0.10
MAX_VAL_FRACTION = 0.15


def check_val_fraction(fraction: float) -> None:
    """Held-out share must be 10-15%: less gives a noisy val loss, more starves training."""
    if not MIN_VAL_FRACTION <= fraction <= MAX_VAL_FRACTION:
        raise HarnessError(
            f"--val-fraction {fraction:g} is outside [{MIN_VAL_FRACTION:g}, {MAX_VAL_FRACTION:g}]; "
            "hold out 10-15% of the rows")


def stratified_split(rows: Sequence[dict[str, Any]], roots: Sequence[int], val_fraction: float = 0.10,
                     seed: int = 0) -> tuple[list[int], list[int]]:
    """Indexes of train and val rows (each in input order).

    ``roots[i]`` is the cluster of row i (see ``trainers.dedupe.cluster_roots``). Each category gets
    ``round(n * val_fraction)`` val rows (at least one when it has two clusters or more), as nearly as whole
    clusters allow: a cluster that would overshoot the target is skipped in favour of smaller ones.
    """
    check_val_fraction(val_fraction)
    if len(roots) != len(rows):
        raise HarnessError(f"split: {len(rows)} rows but {len(roots)} cluster ids")
    clusters: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        clusters.setdefault(root, []).append(i)
    by_cat: dict[str, list[list[int]]] = {}
    for root in sorted(clusters):
        members = clusters[root]
        by_cat.setdefault(category(rows[members[0]]), []).append(members)
    rng = random.Random(seed)
    val: set[int] = set()
    for name in sorted(by_cat):
        groups = by_cat[name]
        size = sum(len(g) for g in groups)
        target = round(size * val_fraction)
        if target == 0 and len(groups) > 1:
            target = 1
        order = list(range(len(groups)))
        rng.shuffle(order)
        taken = 0
        for g in order:
            if taken >= target:
                break
            if taken + len(groups[g]) <= target:
                val.update(groups[g])
                taken += len(groups[g])
    if not val and len(clusters) > 1:
        smallest = min(sorted(clusters), key=lambda r: len(clusters[r]))
        val.update(clusters[smallest])
    train = [i for i in range(len(rows)) if i not in val]
    return train, sorted(val)
