"""Paired statistics for gate decisions: bootstrap CIs, McNemar's exact test, Wilson intervals, sample sizes.

All of it is numpy; scipy (a dev dependency) is only used by the tests to check these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# Largest resample-index block held in memory at once (int64 entries): 4M entries = 32 MiB.
INDEX_BLOCK = 4_000_000
# Diffs with at most this many distinct values are resampled through multinomial counts (exactly the same
# distribution as resampling indices, at O(resamples × distinct) cost instead of O(resamples × n)).
MULTINOMIAL_MAX_DISTINCT = 64


@dataclass(frozen=True)
class PairedEstimate:
    """Candidate − baseline on paired per-example scores."""

    n: int
    candidate: float
    baseline: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float | None = None  # exact McNemar, only when every score is 0 or 1
    discordant: tuple[int, int] | None = None  # (candidate-only right, baseline-only right) for 0/1 scores


def is_binary(*arrays: np.ndarray) -> bool:
    """True when every value of every array is 0 or 1."""
    return all(bool(np.isin(a, (0.0, 1.0)).all()) for a in arrays)


def bootstrap_means(diffs: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` bootstrap means of ``diffs`` (examples resampled with replacement), in bounded memory."""
    n = diffs.size
    rng = np.random.default_rng(seed)
    values, counts = np.unique(diffs, return_counts=True)
    if values.size <= MULTINOMIAL_MAX_DISTINCT:
        draws = rng.multinomial(n, counts / n, size=resamples)
        return np.asarray(draws @ values / n, dtype=float)
    means = np.empty(resamples)
    rows = max(1, INDEX_BLOCK // n)
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diffs[idx].mean(axis=1)
    return means


def paired_bootstrap(
    candidate: np.ndarray | list[float],
    baseline: np.ndarray | list[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> PairedEstimate:
    """Percentile bootstrap CI of mean(candidate − baseline), resampling examples (pairs) together.

    For 0/1 scores the exact McNemar p-value and the discordant counts are attached as well.
    """
    cand = np.asarray(candidate, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cand.shape != base.shape or cand.ndim != 1:
        raise ValueError(f"paired scores must be 1-D and equal length, got {cand.shape} and {base.shape}")
    n = cand.size
    if n == 0:
        return PairedEstimate(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    diffs = cand - base
    means = bootstrap_means(diffs, resamples, seed)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    p_value = None
    discordant = None
    if is_binary(cand, base):
        b, c = discordant_counts(cand, base)
        discordant = (b, c)
        p_value = mcnemar_exact_counts(b, c)
    return PairedEstimate(n, float(cand.mean()), float(base.mean()), float(diffs.mean()), float(low), float(high),
                          p_value, discordant)


def discordant_counts(candidate: np.ndarray | list[float], baseline: np.ndarray | list[float]) -> tuple[int, int]:
    """(examples only the candidate got right, examples only the baseline got right) for 0/1 scores."""
    cand = np.asarray(candidate, dtype=bool)
    base = np.asarray(baseline, dtype=bool)
    return int(np.sum(cand & ~base)), int(np.sum(~cand & base))


def _log_binom_pmf(k: np.ndarray, m: int) -> np.ndarray:
    from math import lgamma, log

    lg = np.vectorize(lgamma)
    return np.asarray(lgamma(m + 1) - lg(k + 1) - lg(m - k + 1) - m * log(2.0), dtype=float)


def mcnemar_exact_counts(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts: a binomial(b + c, 1/2) test.

    Computed in log space so that tens of thousands of discordant pairs neither overflow nor lose precision.
    """
    m = b + c
    if m == 0:
        return 1.0
    k = min(b, c)
    if 2 * k == m:
        return 1.0
    log_tail = float(np.logaddexp.reduce(_log_binom_pmf(np.arange(k + 1), m)))
    return float(min(1.0, 2.0 * math.exp(log_tail)))


def mcnemar_exact(candidate: np.ndarray | list[float], baseline: np.ndarray | list[float]) -> float:
    """Two-sided exact McNemar p-value for paired 0/1 outcomes (binomial test on discordant pairs)."""
    return mcnemar_exact_counts(*discordant_counts(candidate, baseline))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a single proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, not 1e-17 of rounding
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def needed_n(diffs: np.ndarray | list[float], threshold: float, confidence: float = 0.95) -> int | None:
    """Smallest n at which a normal CI around the observed mean difference would clear ``threshold``.

    Either way: the n that would make the interval lie wholly above or wholly below it, at the observed effect
    and spread. None when the observed mean sits exactly on the threshold (no n decides it) or n < 2.
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return None
    effect = abs(float(d.mean()) - threshold)
    if effect <= 1e-12 * max(1.0, abs(threshold)):
        return None
    sd = float(d.std(ddof=1)) or 1.0 / d.size
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    return max(d.size + 1, math.ceil((z * sd / effect) ** 2))


def mcnemar_needed_n(b: int, c: int, n: int, confidence: float = 0.95, limit: int = 10_000_000) -> int | None:
    """Smallest n at which the same discordant rates (b/n, c/n) would make McNemar's test significant.

    None when b == c (no effect to detect) or when even ``limit`` examples would not do.
    """
    if b == c or n == 0:
        return None
    alpha = 1.0 - confidence

    def significant(size: int) -> bool:
        # Round against the effect (fewer pairs for the side ahead, more for the other): never optimistic.
        scale = size / n
        if b > c:
            return mcnemar_exact_counts(math.floor(b * scale), math.ceil(c * scale)) < alpha
        return mcnemar_exact_counts(math.ceil(b * scale), math.floor(c * scale)) < alpha

    if significant(n):
        return n
    high = n
    while not significant(high):
        if high >= limit:
            return None
        high = min(limit, high * 2)
    low = high // 2 if high > n else n
    while high - low > 1:
        mid = (low + high) // 2
        if significant(mid):
            high = mid
        else:
            low = mid
    return high
