"""Benchmark 6: sequential monitoring against the fixed-n gate, by simulation: how often a non-inferiority rule
passes and fails, and how many items it uses, at true effects from far below the margin to well above it.

Each simulated gate is one rule on n paired 0/1 scores (candidate − baseline is +1, −1 or 0; a share
``--discordant`` of the pairs disagree). The fixed-n gate evaluates all n items and applies the seeded paired
bootstrap CI, as `--no-sequential` does. The sequential gate looks where a chunked suite does (after 64 items, then
each look doubling: harness.gate.look_points) with the betting test of
harness.gate.sequential, stops when it decides, and otherwise applies the same fixed-n rule after all n items
(what the gate does). The rows at the margin are the false-PROMOTE rate; a sequential decision the fixed-n rule
on the same items contradicts would be undecided, which only lowers both rates, so they are upper bounds.

    PYTHONPATH=. python benchmarks/bench_sequential.py [--gates 10000] [--n 447] [--plot FILE]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from timing import print_table, timed

ALPHA, FIRST_LOOK = 0.05, 64


def simulate(delta: float, bound: float, n: int, gates: int, discordant: float, seed: int,
             fixed_cache: dict[tuple[int, int], tuple[float, float]]) -> dict[str, float]:
    """Pass and fail rates and mean items used of the fixed-n and the sequential gate at true Δ ``delta``."""
    from harness.gate import first_crossings, items_used, look_points, paired_bootstrap

    rng = np.random.default_rng(seed)
    u = rng.random((gates, n))
    up, down = (discordant + delta) / 2, (discordant - delta) / 2
    d = np.where(u < up, 1.0, np.where(u < up + down, -1.0, 0.0))
    b, c = (d == 1).sum(axis=1), (d == -1).sum(axis=1)
    for key in set(zip(b.tolist(), c.tolist(), strict=True)) - set(fixed_cache):
        cand = np.r_[np.ones(key[0]), np.zeros(key[1]), np.zeros(n - sum(key))]
        base = np.r_[np.zeros(key[0]), np.ones(key[1]), np.zeros(n - sum(key))]
        est = paired_bootstrap(cand, base, confidence=1 - ALPHA)
        fixed_cache[key] = (est.ci_low, est.ci_high)
    ci = np.array([fixed_cache[key] for key in zip(b.tolist(), c.tolist(), strict=True)])
    fixed_pass, fixed_fail = ci[:, 0] > bound, ci[:, 1] <= bound
    above, below = first_crossings(d, bound, ALPHA)
    seq_pass = (above > 0) & ((below == 0) | (above <= below))
    seq_fail = (below > 0) & ~seq_pass
    undecided = ~seq_pass & ~seq_fail
    first = np.where(seq_pass, above, np.where(seq_fail, below, n))
    used = items_used(first, look_points(n, FIRST_LOOK))
    return {
        "fixed_pass": fixed_pass.mean(), "fixed_fail": fixed_fail.mean(),
        "seq_pass": (seq_pass | (undecided & fixed_pass)).mean(), "seq_fail": (seq_fail | (undecided & fixed_fail)).mean(),
        "decided": (~undecided).mean(), "used": used.mean(), "only_seq_pass": seq_pass.mean(),
    }


def plot(rows: list[dict[str, float]], n: int, margin: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    deltas = [r["delta"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(deltas, [r["fixed_pass"] for r in rows], "o-", label="fixed n: pass")
    left.plot(deltas, [r["seq_pass"] for r in rows], "s--", label="sequential: pass")
    left.plot(deltas, [r["fixed_fail"] for r in rows], "o-", label="fixed n: fail")
    left.plot(deltas, [r["seq_fail"] for r in rows], "s--", label="sequential: fail")
    left.axvline(-margin, color="grey", lw=0.8)
    left.set(xlabel="true Δ (candidate − baseline)", ylabel="share of gates", title=f"decisions (margin −{margin})")
    left.legend(fontsize=8)
    right.plot(deltas, [n] * len(rows), "o-", label="fixed n")
    right.plot(deltas, [r["used"] for r in rows], "s--", label="sequential")
    right.axvline(-margin, color="grey", lw=0.8)
    right.set(xlabel="true Δ (candidate − baseline)", ylabel="items evaluated (mean)", title=f"items used, n={n}")
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=10_000, help="simulated gates per true effect")
    parser.add_argument("--n", type=int, default=447, help="items per gate (447: the safety suite's harmful set)")
    parser.add_argument("--margin", type=float, default=0.05, help="non-inferiority margin")
    parser.add_argument("--discordant", type=float, default=0.3, help="share of pairs on which the models differ")
    parser.add_argument("--plot", type=Path, default=Path("results/reports/bench_sequential.png"))
    args = parser.parse_args()
    deltas = [-0.35, -0.25, -0.15, -0.10, -args.margin, 0.0, 0.05, 0.10]
    cache: dict[tuple[int, int], tuple[float, float]] = {}
    rows = []
    seconds, _ = timed(lambda: rows.extend(
        dict(simulate(delta, -args.margin, args.n, args.gates, args.discordant, i, cache), delta=delta)
        for i, delta in enumerate(deltas)))
    se = math.sqrt(ALPHA * (1 - ALPHA) / args.gates)
    table = [[f"{r['delta']:+.2f}" + (" (margin)" if r["delta"] == -args.margin else ""), r["fixed_pass"],
              r["seq_pass"], r["fixed_fail"], r["seq_fail"], r["decided"], f"{r['used']:.0f}",
              f"{r['used'] / args.n:.0%}"] for r in rows]
    print_table(f"non-inferiority, margin {args.margin}, n={args.n} paired 0/1 items ({args.discordant:.0%} discordant), "
                f"{args.gates} gates per row, first look at {FIRST_LOOK} items, then doubling, alpha {ALPHA} ({seconds:.0f} s)",
                ["true Δ", "fixed pass", "seq pass", "fixed fail", "seq fail", "decided seq", "items (mean)",
                 "of n"], table)
    null = next(r for r in rows if r["delta"] == -args.margin)
    print(f"\nfalse-PROMOTE at the margin: fixed n {null['fixed_pass']:.4f}, sequential {null['seq_pass']:.4f} "
          f"(of which by the betting test {null['only_seq_pass']:.4f}); alpha {ALPHA}, Monte-Carlo SE {se:.4f}")
    print(f"plot: {plot(rows, args.n, args.margin, args.plot)}")


if __name__ == "__main__":
    main()
