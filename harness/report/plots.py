"""The HTML report's two pictures, drawn with matplotlib (Agg) as SVG: a forest plot of the paired rules and a
metric's history with one series per model.

SVG keeps lines and text sharp at any zoom; each picture is embedded as a ``data:`` image, so ids inside one SVG
never collide with another's and the page stays one self-contained file.
"""

from __future__ import annotations

import base64
import io
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from harness.errors import MissingDependency

COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "undecided": "#b08800"}
MARGIN_COLOUR = "#57606a"
BASELINE_COLOUR = "#6e7781"
SERIES = ["#0969da", "#8250df", "#bf3989", "#1b7c83", "#953800", "#4d2d00", "#0550ae", "#6639ba"]
_BOUND = re.compile(r"(?:clears|is not above|straddles) ([+-]?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class ForestRow:
    """One paired rule as the forest plot draws it."""

    label: str
    delta: float
    ci_low: float
    ci_high: float
    bound: float | None
    status: str
    required: bool
    n: int | None


def bound_of(reason: str) -> float | None:
    """The threshold a paired verdict was judged against (its reason states it: "clears -0.0500").

    Read from the stored reason rather than a column of its own so every stored run, old ones included, draws.
    """
    found = _BOUND.search(reason or "")
    return float(found.group(1)) if found else None


def forest_rows(verdicts: list[dict[str, Any]]) -> list[ForestRow]:
    """The verdicts with a paired confidence interval (superiority, non-inferiority), in the order given."""
    rows = []
    for v in verdicts:
        if v.get("ci_low") is None or v.get("ci_high") is None or v.get("delta") is None:
            continue
        if v.get("kind") not in ("superiority", "non_inferiority"):
            continue
        rows.append(ForestRow(str(v["rule"]), float(v["delta"]), float(v["ci_low"]), float(v["ci_high"]),
                              bound_of(str(v.get("reason") or "")), str(v["status"]), bool(v["required"]),
                              v.get("n")))
    return rows


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency("matplotlib", "the HTML report's plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tunegate"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def forest_svg(rows: list[ForestRow], confidence: float = 0.95) -> str:
    """Each paired rule's Δ (candidate − baseline) with its CI as a bar, and the bound it must clear as a dashed
    tick on its row, coloured by verdict; advisory rules hollow and faint. Base64 SVG text."""
    plt = _pyplot()
    from matplotlib.lines import Line2D

    height = 0.9 + 0.42 * len(rows)
    fig, ax = plt.subplots(figsize=(11, height))
    ys = list(range(len(rows)))[::-1]
    for y, row in zip(ys, rows, strict=True):
        colour = COLOURS.get(row.status, "#57606a")
        alpha = 1.0 if row.required else 0.45
        ax.plot([row.ci_low, row.ci_high], [y, y], color=colour, linewidth=3, alpha=alpha, solid_capstyle="butt")
        ax.plot([row.delta], [y], marker="o", markersize=8, color=colour, alpha=alpha,
                markerfacecolor=colour if row.required else "white", markeredgewidth=2)
        if row.bound is not None:
            ax.plot([row.bound, row.bound], [y - 0.36, y + 0.36], color=MARGIN_COLOUR, linestyle=(0, (3, 2)),
                    linewidth=1.6)
    ax.axvline(0.0, color="#d0d7de", linewidth=1, zorder=0)
    ax.set_yticks(ys, ["\n".join(textwrap.wrap(r.label + ("" if r.required else " (advisory)"), 46))
                       for r in rows], fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    lows = [min(r.ci_low, r.bound if r.bound is not None else r.ci_low, 0.0) for r in rows]
    highs = [max(r.ci_high, r.bound if r.bound is not None else r.ci_high, 0.0) for r in rows]
    span = max(max(highs) - min(lows), 0.02)
    ax.set_xlim(min(lows) - 0.08 * span, max(highs) + 0.08 * span)
    ax.set_xlabel(f"Δ = candidate − baseline, with its {confidence:.0%} paired bootstrap CI", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#eaeef2", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    legend = [Line2D([0], [0], color=COLOURS[s], marker="o", linewidth=3, label=s)
              for s in ("pass", "fail", "undecided")]
    legend.append(Line2D([0], [0], color=MARGIN_COLOUR, linestyle=(0, (3, 2)), linewidth=1.6,
                         label="bound the CI must clear (margin)"))
    legend.append(Line2D([0], [0], color="#57606a", marker="o", markerfacecolor="white", linewidth=0, alpha=0.6,
                         label="advisory (never blocks)"))
    ax.legend(handles=legend, fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5, frameon=False)
    return _svg(fig)


def candidate_series(series: list[dict[str, Any]], highlight: str | None = None
                     ) -> dict[str, list[tuple[int, float]]]:
    """A metric's history split into one series per candidate: ``{candidate_id: [(run index, value), ...]}``,
    the highlighted run's candidate first. Points of one candidate are joined; two candidates never are."""
    out: dict[str, list[tuple[int, float]]] = {}
    this = next((row["candidate_id"] for row in series if row["run_id"] == highlight), None)
    if this is not None:
        out[this] = []
    for i, row in enumerate(series):
        if row["candidate"] is not None:
            out.setdefault(row["candidate_id"], []).append((i, float(row["candidate"])))
    return {k: v for k, v in out.items() if v}


def history_svg(series: list[dict[str, Any]], title: str, highlight: str | None = None) -> str:
    """A metric over recent runs: one line per candidate (never joining two models), the baselines as grey
    markers, this run ringed. Base64 SVG text."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 2.6))
    x_of = {row["run_id"]: i for i, row in enumerate(series)}
    this = next((row for row in series if row["run_id"] == highlight), None)
    per_candidate = candidate_series(series, highlight)  # this run's candidate first: first colour, top of legend
    shown = list(per_candidate)[: len(SERIES)]
    for colour, candidate in zip(SERIES, shown, strict=False):
        points = per_candidate[candidate]
        ax.plot([x for x, _ in points], [y for _, y in points], marker="o", markersize=4, color=colour,
                linewidth=1.6, label=candidate)  # ids whole, as everywhere
    others = [point for candidate in list(per_candidate)[len(SERIES):] for point in per_candidate[candidate]]
    if others:  # unjoined: they are several models
        ax.plot([x for x, _ in others], [y for _, y in others], linestyle="none", marker="o", markersize=4,
                color="#afb8c1", label=f"{len(per_candidate) - len(shown)} other candidates")
    base = [r for r in series if r["baseline"] is not None]
    if base:
        ax.plot([x_of[r["run_id"]] for r in base], [r["baseline"] for r in base], linestyle="none", marker="s",
                markersize=4, color=BASELINE_COLOUR, markerfacecolor="white", label="baseline (each run's)")
    if this is not None and this["candidate"] is not None:
        ax.plot([x_of[this["run_id"]]], [this["candidate"]], marker="o", markersize=11, markerfacecolor="none",
                markeredgecolor="#24292f", markeredgewidth=1.4, linestyle="none", label="this run")
    ticks = list(range(len(series)))
    step = max(1, len(series) // 8)
    ax.set_xticks(ticks[::step], [str(row["started_at"])[:16] for row in series][::step], rotation=20,
                  ha="right", fontsize=8.5)
    ax.set_xlim(-0.5, len(series) - 0.5)
    ax.tick_params(axis="y", labelsize=8.5)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="y", color="#eaeef2", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(0.0, -0.32), ncol=2, frameon=False)
    return _svg(fig)

