"""harness.gate.stats checked against scipy and textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from harness.gate import stats


@pytest.mark.parametrize(("b", "c"), [(0, 0), (1, 0), (5, 0), (3, 9), (10, 10), (40, 25), (600, 540)])
def test_mcnemar_matches_scipy_binomtest(b, c):
    expected = 1.0 if b + c == 0 else sps.binomtest(b, b + c, 0.5).pvalue
    assert stats.mcnemar_exact_counts(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_mcnemar_survives_tens_of_thousands_of_discordant_pairs():
    # 2.0 ** m overflows past m = 1023; the log-space sum must not.
    p = stats.mcnemar_exact_counts(25_300, 24_700)
    assert p == pytest.approx(sps.binomtest(24_700, 50_000, 0.5).pvalue, rel=1e-6)


def test_mcnemar_from_scores_counts_discordant_pairs():
    cand = [1, 1, 0, 1, 0, 1]
    base = [0, 1, 0, 0, 1, 1]
    assert stats.discordant_counts(cand, base) == (2, 1)
    assert stats.mcnemar_exact(cand, base) == pytest.approx(1.0)


@pytest.mark.parametrize(("k", "n", "conf"), [(0, 10, 0.95), (7, 10, 0.95), (81, 263, 0.95), (50, 50, 0.9), (3, 1000, 0.99)])
def test_wilson_matches_scipy(k, n, conf):
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    assert stats.wilson_interval(k, n, conf) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_wilson_textbook_value():
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662
    low, high = stats.wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_bootstrap_matches_scipy_paired_bootstrap_continuous():
    rng = np.random.default_rng(1)
    base = rng.normal(0.5, 0.2, 400)
    cand = base + rng.normal(0.03, 0.1, 400)
    ours = stats.paired_bootstrap(cand, base, resamples=20_000, seed=3)
    ref = sps.bootstrap((cand, base), lambda x, y, axis: np.mean(x - y, axis=axis), paired=True,
                        vectorized=True, n_resamples=20_000, method="percentile", random_state=4)
    assert ours.ci_low == pytest.approx(ref.confidence_interval.low, abs=0.003)
    assert ours.ci_high == pytest.approx(ref.confidence_interval.high, abs=0.003)
    assert ours.delta == pytest.approx(float(np.mean(cand - base)))
    assert ours.p_value is None


def test_bootstrap_on_binary_scores_matches_scipy_and_attaches_mcnemar():
    rng = np.random.default_rng(2)
    base = (rng.random(300) < 0.6).astype(float)
    cand = np.where(rng.random(300) < 0.15, 1.0, base)
    ours = stats.paired_bootstrap(cand, base, resamples=20_000, seed=5)
    ref = sps.bootstrap((cand, base), lambda x, y, axis: np.mean(x - y, axis=axis), paired=True,
                        vectorized=True, n_resamples=20_000, method="percentile", random_state=6)
    assert ours.ci_low == pytest.approx(ref.confidence_interval.low, abs=0.004)
    assert ours.ci_high == pytest.approx(ref.confidence_interval.high, abs=0.004)
    assert ours.discordant is not None and ours.p_value == pytest.approx(stats.mcnemar_exact_counts(*ours.discordant))


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(0)
    a, b = rng.random(50), rng.random(50)
    assert stats.paired_bootstrap(a, b, seed=7) == stats.paired_bootstrap(a, b, seed=7)


def test_large_continuous_bootstrap_is_chunked(monkeypatch):
    # 40 resamples x 100k examples is a 32 MB int64 index matrix unchunked; blocks of 200k entries keep the peak small.
    import tracemalloc

    monkeypatch.setattr(stats, "INDEX_BLOCK", 200_000)
    rng = np.random.default_rng(0)
    diffs = rng.normal(0.01, 1.0, 100_000)
    tracemalloc.start()
    means = stats.bootstrap_means(diffs, 40, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8_000_000
    assert means.shape == (40,)
    se = diffs.std() / np.sqrt(diffs.size)
    assert np.all(np.abs(means - diffs.mean()) < 6 * se)


def test_binary_bootstrap_on_100k_examples_uses_counts_not_indices():
    rng = np.random.default_rng(0)
    base = (rng.random(100_000) < 0.7).astype(float)
    cand = np.where(rng.random(100_000) < 0.02, 1.0, base)
    est = stats.paired_bootstrap(cand, base)  # 10k resamples: would be 8 GB of int64 indices
    d = cand - base
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert est.ci_low == pytest.approx(d.mean() - 1.96 * se, abs=3e-4)
    assert est.ci_high == pytest.approx(d.mean() + 1.96 * se, abs=3e-4)


def test_needed_n_textbook_formula():
    # mean 0.1, sd 0.5: n = (1.96 * 0.5 / 0.1)^2 = 96.04 -> 97
    d = np.array([0.6, -0.4] * 20) + 0.0
    d = (d - d.mean()) / d.std(ddof=1) * 0.5 + 0.1
    assert stats.needed_n(d, 0.0) == 97
    assert stats.needed_n(d, 0.1) is None  # effect exactly on the threshold: no n decides it
    assert stats.needed_n(-d, 0.0) == 97  # deciding "worse" needs as many


def test_mcnemar_needed_n_for_one_discordant_pair_in_30():
    # b=1, c=0 at n=30: six one-sided discordant pairs are needed (2 * 0.5^6 = 0.031 < 0.05) -> n = 180
    assert stats.mcnemar_needed_n(1, 0, 30) == 180
    assert stats.mcnemar_exact_counts(6, 0) < 0.05 <= stats.mcnemar_exact_counts(5, 0)
    assert stats.mcnemar_needed_n(3, 3, 30) is None
    assert stats.mcnemar_needed_n(20, 0, 30) == 30
