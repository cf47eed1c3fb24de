"""Anytime-valid sequential tests for gate rules: betting confidence sequences for bounded means.

A rule compares the mean of bounded observations with a threshold: paired differences candidate − baseline in
[−1, 1] against a margin, or the candidate's own scores in [0, 1] against a floor or ceiling. The suites hand
them over a chunk at a time, and the gate may look after every chunk and stop as soon as a rule is settled.
Looking repeatedly at a fixed-n interval would inflate its error rate; these tests keep theirs at every look,
however many, including looks chosen after seeing the data (Waudby-Smith & Ramdas 2023, "Estimating means of
bounded random variables by betting", JRSS-B; Ville's inequality).

**Method.** To show the mean lies *above* a threshold m, a bettor starts with capital 1 and stakes a fraction λ
of it on each observation x: capital ×= 1 + λ(x − m). Under the null "mean ≤ m" every factor has expectation
≤ 1, so the capital is a nonnegative supermartingale, and by Ville's inequality it ever reaches 2/α with
probability ≤ α/2, at whatever time one stops or looks. λ ≤ c / (m − lo) with c < 1 keeps every factor positive
for any x ≥ lo. We do not estimate λ: the capital is the average of ``len(BETS)`` bettors with constant stakes
c ∈ BETS (geometric, 0.95 down to 0.0074 of the largest safe stake); an average of test supermartingales is one
too, so validity needs nothing else, and the grid holds a near-Kelly stake for every effect a gate can settle
(losing at most log 8 of the best single stake's log capital). The mirror bettor shows the mean lies *below*.

The two tests at level α/2 each are the duals of a (1 − α) confidence sequence: the set of m neither bettor
rejects, up to now. Each stake scales with 1 / (m − lo), so each bettor's capital falls as m rises (each factor
is 1 + c(u − 1) with u = (x − lo) / (m − lo)): the set is an interval, and "the confidence sequence lies wholly
above m" is exactly "the above-bettor's capital at m has reached 2/α". ``confidence_sequence`` finds its ends by
bisection, only to report them; decisions test the threshold itself.

Everything is numpy and vectorised over leading axes, so a simulation runs ten thousand gates in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ABOVE, BELOW, CONTINUE = "above", "below", "continue"
BETS = 0.95 * 0.5 ** np.arange(8)
"""Constant stakes of the bettors averaged, as fractions of the largest stake that keeps capital positive."""


@dataclass(frozen=True)
class Observations:
    """What a rule judges sequentially: bounded values in evaluation order and the threshold their mean is held to.

    ``pass_above``: the rule passes when the mean lies above the threshold (floor, superiority,
    non-inferiority), else when it lies below (ceiling).
    """

    values: np.ndarray
    threshold: float
    lo: float
    hi: float
    pass_above: bool = True


@dataclass(frozen=True)
class SequentialResult:
    """Where a sequential test stands after ``n`` observations."""

    status: str  # ABOVE, BELOW (the mean lies above / below the threshold, at level alpha/2 each) or CONTINUE
    n: int
    at: int | None  # the observation at which the capital first reached 2/alpha (None while undecided)
    cs_low: float  # the (1 - alpha) confidence sequence after n observations
    cs_high: float


def log_capital(x: np.ndarray, threshold: float, lo: float, hi: float, side: str) -> np.ndarray:
    """Log capital, after each observation (last axis), of the averaged bettors against the null on ``side``'s
    opposite: ``side`` ABOVE bets that the mean exceeds ``threshold`` (null: mean ≤ threshold), BELOW the mirror.

    −inf throughout when no bet is safe: a threshold at or beyond the end of the range it is bet towards.
    """
    x = np.asarray(x, dtype=float)
    if side == ABOVE:
        gain, room = x - threshold, threshold - lo  # worst single loss per unit stake: room
    else:
        gain, room = threshold - x, hi - threshold
    if room <= 0:
        return np.full(x.shape, -math.inf)
    total: np.ndarray | None = None
    for c in BETS:
        log_k = np.cumsum(np.log1p((c / room) * gain), axis=-1)
        total = log_k if total is None else np.logaddexp(total, log_k)
    assert total is not None
    return total - math.log(len(BETS))


def look_points(n: int, first: int) -> list[int]:
    """The numbers of items evaluated at which a chunked suite looks, out of ``n``: ``first``, then each look at
    twice the one before, the last at ``n``; a look is dropped unless at least half as many items remain after it.

    Every chunk is about as large as everything before it, so a candidate that needs every item pays the fixed cost
    of a chunk (a generation batch waits for its longest answer) about log2(n / first) times, not n / first times,
    while a clearly bad one is still stopped at ``first``. The tests are anytime-valid: any schedule keeps alpha.
    """
    points, end = [], first
    while end + end // 2 < n:
        points.append(end)
        end *= 2
    return [*points, n] if n > 0 else []


def items_used(first_crossing: np.ndarray, points: list[int]) -> np.ndarray:
    """Items evaluated when a test first crossing at observation ``first_crossing`` (1-based) is seen: the first
    look at or after it."""
    return np.asarray(points)[np.searchsorted(points, first_crossing)]


def first_crossings(x: np.ndarray, threshold: float, alpha: float, lo: float = -1.0,
                    hi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``x`` (observations along the last axis): the 1-based observation at which the ABOVE and
    the BELOW bettor first reach capital 2/alpha, 0 when never."""
    bar = math.log(2.0 / alpha)
    out = []
    for side in (ABOVE, BELOW):
        hit = log_capital(x, threshold, lo, hi, side) >= bar
        out.append(np.where(hit.any(axis=-1), hit.argmax(axis=-1) + 1, 0))
    return out[0], out[1]


def _rejects(x: np.ndarray, m: float, alpha: float, lo: float, hi: float, side: str) -> bool:
    return bool(x.size) and float(log_capital(x, m, lo, hi, side).max()) >= math.log(2.0 / alpha)


def confidence_sequence(x: np.ndarray | list[float], alpha: float, lo: float = -1.0, hi: float = 1.0,
                        tol: float = 1e-4) -> tuple[float, float]:
    """The (1 − alpha) confidence sequence for the mean after all of ``x``: every m neither bettor has rejected at
    any time so far (the running intersection), to within ``tol``."""
    x = np.asarray(x, dtype=float)
    ends = []
    for side in (ABOVE, BELOW):
        # ABOVE rejects every m below the lower end (and none above it); BELOW the mirror image
        inside, outside = (hi, lo) if side == ABOVE else (lo, hi)
        if not _rejects(x, outside + (inside - outside) * tol, alpha, lo, hi, side):
            ends.append(outside)
            continue
        rejected = outside
        while abs(inside - rejected) > tol:
            mid = (inside + rejected) / 2.0
            if _rejects(x, mid, alpha, lo, hi, side):
                rejected = mid
            else:
                inside = mid
        ends.append(rejected)
    return ends[0], ends[1]


def sequential_test(obs: Observations, alpha: float) -> SequentialResult:
    """Test ``obs``'s mean against its threshold at every observation so far; decided at the first crossing.

    ``alpha`` is 1 − the gate's confidence: each direction errs with probability at most alpha/2, like the two
    ends of the fixed-n (1 − alpha) interval.
    """
    x = np.asarray(obs.values, dtype=float)
    n = int(x.size)
    if n == 0:
        return SequentialResult(CONTINUE, 0, None, obs.lo, obs.hi)
    above, below = (int(v) for v in first_crossings(x, obs.threshold, alpha, obs.lo, obs.hi))
    if above and (not below or above <= below):
        status, at = ABOVE, above
    elif below:
        status, at = BELOW, below
    else:
        status, at = CONTINUE, None
    low, high = confidence_sequence(x, alpha, obs.lo, obs.hi)
    return SequentialResult(status, n, at, low, high)


__all__ = [
    "ABOVE", "BELOW", "BETS", "CONTINUE", "Observations", "SequentialResult", "confidence_sequence",
    "first_crossings", "log_capital", "sequential_test",
]
