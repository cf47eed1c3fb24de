"""Paired statistics for gate decisions: bootstrap CIs, McNemar's exact test, Wilson intervals, sample sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True)
class PairedEstimate:
    """Candidate − baseline on paired per-example scores."""

    n: int
    candidate: float
    baseline: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float | None = None


def paired_bootstrap(
    candidate: np.ndarray | list[float],
    baseline: np.ndarray | list[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> PairedEstimate:
    """Percentile bootstrap CI of mean(candidate − baseline), resampling examples (pairs) together."""
    cand = np.asarray(candidate, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cand.shape != base.shape or cand.ndim != 1:
        raise ValueError(f"paired scores must be 1-D and equal length, got {cand.shape} and {base.shape}")
    n = cand.size
    if n == 0:
        return PairedEstimate(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    diffs = cand - base
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    means = diffs[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    p_value = None
    if set(np.unique(cand)) <= {0.0, 1.0} and set(np.unique(base)) <= {0.0, 1.0}:
        p_value = mcnemar_exact(cand, base)
    return PairedEstimate(n, float(cand.mean()), float(base.mean()), float(diffs.mean()), float(low), float(high), p_value)


def mcnemar_exact(candidate: np.ndarray | list[float], baseline: np.ndarray | list[float]) -> float:
    """Two-sided exact McNemar p-value for paired 0/1 outcomes (binomial test on discordant pairs)."""
    cand = np.asarray(candidate, dtype=bool)
    base = np.asarray(baseline, dtype=bool)
    b = int(np.sum(cand & ~base))
    c = int(np.sum(~cand & base))
    m = b + c
    if m == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(m, i) for i in range(k + 1)) / 2.0**m
    return float(min(1.0, 2.0 * tail))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a single proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def needed_n(diffs: np.ndarray | list[float], threshold: float, confidence: float = 0.95) -> int | None:
    """Smallest n at which a normal CI around the observed mean difference would clear ``threshold``.

    None when the observed effect sits on the wrong side of the threshold (more data would not help).
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return None
    effect = float(d.mean()) - threshold
    if effect <= 0:
        return None
    sd = float(d.std(ddof=1)) or 1.0 / d.size
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    return max(d.size + 1, math.ceil((z * sd / effect) ** 2))
