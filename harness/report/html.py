"""A self-contained HTML page for one gate run: the markdown report's content plus plots of metric history.

One file, no external assets: plots are rendered with matplotlib's Agg backend and embedded as base64 PNG.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from harness.errors import MissingDependency
from harness.store import RunRecord, Store, metric_series

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f4f4f4}.pass{color:#1a7f37}.fail{color:#cf222e}.undecided{color:#9a6700}
.PROMOTE{color:#1a7f37}.REJECT{color:#cf222e}code{background:#f4f4f4;padding:0 3px}
"""


def plot_png(series: list[dict[str, Any]], title: str, highlight: str | None = None) -> str:
    """A line plot of a metric's history (candidate and baseline per run), as base64 PNG text."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency("matplotlib", "the HTML report's plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    x = list(range(len(series)))
    for role, marker in (("candidate", "o"), ("baseline", "s")):
        ys = [row[role] for row in series]
        if any(y is not None for y in ys):
            ax.plot(x, [float("nan") if y is None else y for y in ys], marker=marker, label=role)
    for i, row in enumerate(series):
        if row["run_id"] == highlight:
            ax.axvline(i, color="grey", linestyle=":", label="this run")
    ax.set_xticks(x, [str(row["started_at"])[5:16] for row in series], rotation=30, ha="right", fontsize=7)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(columns: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        cells = "".join(f"<td>{html.escape('—' if v is None else (f'{v:.4g}' if isinstance(v, float) else str(v)))}</td>"
                        for v in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def html_report(store: Store, record: RunRecord, history: int = 50) -> str:
    """The page's HTML text: decision, reasons, rules, and one history plot per metric the rules name."""
    run = record.run
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>tunegate {esc(record.run_id)}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>tunegate gate: <span class='{esc(record.verdict)}'>{esc(record.verdict)}</span></h1>",
             "<ul>",
             f"<li>run <code>{esc(record.run_id)}</code> ({esc(str(run['status']))}, started {esc(str(run['started_at']))})</li>",
             f"<li>candidate <code>{esc(str(run['candidate_id']))}</code> at <code>{esc(str(run['candidate_path']))}</code></li>",
             f"<li>baseline <code>{esc(str(run['baseline_ref']))}</code></li>",
             f"<li>policy sha256 <code>{esc(str(run['policy_sha256']))}</code></li>", "</ul>"]
    if record.reasons:
        parts += ["<h2>Why not promoted</h2><ul>"] + [f"<li>{esc(r)}</li>" for r in record.reasons] + ["</ul>"]
    parts.append("<h2>Rules</h2>")
    parts.append(_table(
        ["rule", "kind", "verdict", "required", "candidate", "baseline", "Δ", "CI low", "CI high", "n", "n to decide",
         "why"],
        [[v["rule"], v["kind"], v["status"], v["required"], v["candidate"], v["baseline"], v["delta"], v["ci_low"],
          v["ci_high"], v["n"], v["needed_n"], v["reason"]] for v in record.verdicts],
        [str(v["status"]) for v in record.verdicts]))
    refs = list(dict.fromkeys((v["suite"], v["metric"]) for v in record.verdicts))
    plotted = 0
    parts.append("<h2>History</h2>")
    for suite, metric in refs:
        series = metric_series(store, suite, metric, history)
        if not series:
            continue
        png = plot_png(series, f"{suite}.{metric}", highlight=record.run_id)
        parts.append(f"<h3>{esc(suite)}.{esc(metric)}</h3><img alt='{esc(suite)}.{esc(metric)} history' "
                     f"src='data:image/png;base64,{png}'>")
        plotted += 1
    if not plotted:
        parts.append("<p>No stored metric history for the metrics this policy names.</p>")
    if record.metrics:
        parts.append("<h2>Metrics</h2>")
        parts.append(_table(["suite", "metric", "role", "value", "n", "CI low", "CI high"],
                            [[m["suite"], m["metric"], m["role"], m["value"], m["n"], m["ci_low"], m["ci_high"]]
                             for m in record.metrics]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(store: Store, record: RunRecord, path: str | Path) -> Path:
    """Write the self-contained page to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(store, record), encoding="utf-8")
    return path
