from __future__ import annotations

import random

import numpy as np
import pytest

from harness.errors import HarnessError
from trainers import cluster_roots, signatures, similar_pairs, stratified_split


def _rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(500)]
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(vocab) for _ in range(30))
        rows.append({"category": "a" if i % 4 else "b", "text": text})
    return rows


def test_stratified_share_per_category():
    rows = _rows(200)
    train, val = stratified_split(rows, list(range(200)), 0.1, seed=3)
    assert sorted(train + val) == list(range(200))
    assert sum(rows[i]["category"] == "a" for i in val) == 15
    assert sum(rows[i]["category"] == "b" for i in val) == 5


def test_deterministic_by_seed():
    rows = _rows(100)
    assert stratified_split(rows, list(range(100)), 0.1, 7) == stratified_split(rows, list(range(100)), 0.1, 7)
    assert stratified_split(rows, list(range(100)), 0.1, 7) != stratified_split(rows, list(range(100)), 0.1, 8)


def test_no_near_duplicate_pair_straddles_train_and_val():
    rng = random.Random(1)
    rows = _rows(120)
    for i in range(60):  # every other row gets a light edit of an earlier one
        words = rows[rng.randrange(60)]["text"].split()
        words[rng.randrange(len(words))] = "edited"
        rows.append({"category": rows[i]["category"], "text": " ".join(words)})
    sigs = signatures([r["text"] for r in rows])
    pairs = similar_pairs(sigs, 0.7)
    assert len(pairs) >= 60
    train, val = stratified_split(rows, cluster_roots(len(rows), pairs), 0.1, seed=0)
    assert val
    values = np.stack([s.hashvalues for s in sigs])
    cross = (values[train][:, None, :] == values[val][None, :, :]).mean(axis=2)
    assert cross.max() < 0.7  # brute force over every train x val pair


@pytest.mark.parametrize("fraction", [0.05, 0.2])
def test_val_fraction_bounds(fraction):
    with pytest.raises(HarnessError, match="--val-fraction"):
        stratified_split(_rows(10), list(range(10)), fraction)
