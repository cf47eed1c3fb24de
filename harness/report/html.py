"""A self-contained HTML page for one gate run, for whoever signs off on it.

In order: the decision and what blocked it; the run's identity (ids, fingerprints and sha256s whole); a forest
plot of every paired rule (Δ with its CI against the bound it must clear); the rules grouped by suite, suites
with failing or undecided rules first, advisory rules styled apart; the most regressed examples of each paired
metric (prompt, both outputs, both scores); each rule metric's history with one series per candidate; the
suites' outcomes and every metric. One file, no script and nothing fetched: plots are embedded SVG
(``harness.report.plots``). Laid out for a 1280 px wide window and up.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from harness.report.plots import forest_rows, forest_svg, history_svg
from harness.store import RunRecord, Store, metric_series

STATUS_ORDER = {"fail": 0, "undecided": 1, "pass": 2}
PAIRED = ("superiority", "non_inferiority")
STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:24px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.lede{margin:0 0 12px;color:#57606a}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;table-layout:fixed}
td,th{border-bottom:1px solid #d8dee4;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;font-weight:600;font-size:13px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}
table.meta td:first-child{width:190px;color:#57606a}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.b-pass{background:#dafbe1;color:#1a7f37}.b-fail{background:#ffebe9;color:#cf222e}
.b-undecided{background:#fff8c5;color:#7d4e00}
.b-adv{background:#eaeef2;color:#57606a;font-weight:500}
tr.advisory .badge.b-pass,tr.advisory .badge.b-fail,tr.advisory .badge.b-undecided{background:none;color:#6e7781;
border:1px dashed #8c959f;font-weight:500}
.decision{font-size:22px;padding:2px 12px;border-radius:6px;color:#fff}
.PROMOTE{background:#1a7f37}.REJECT{background:#cf222e}.RUNNING,.ABORTED{background:#57606a}
tr.advisory td{background:#f6f8fa;color:#57606a}tr.advisory td:first-child{border-left:3px dashed #afb8c1}
tr.fail td:first-child{border-left:3px solid #cf222e}tr.undecided td:first-child{border-left:3px solid #d4a72c}
tr.pass td:first-child{border-left:3px solid #1a7f37}
.kind{display:block;color:#57606a;font-size:12px}
.why{font-size:13px}
.suite-head{display:flex;gap:10px;align-items:baseline}
.plot{width:100%;height:auto;display:block;margin:4px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px 20px}
.cell{max-height:10em;overflow:auto;white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:12px;background:#f6f8fa;padding:4px 6px;border-radius:4px}
details>summary{cursor:pointer;font-weight:600;margin:8px 0}
ul.reasons li{margin:2px 0}
"""


def _esc(value: Any) -> str:
    return html.escape("—" if value is None else str(value))


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.4f}" if signed else f"{value:.4g}"
    return html.escape(str(value))


def _badge(status: str, required: bool) -> str:
    badge = f"<span class='badge b-{_esc(status)}'>{_esc(status)}</span>"
    return badge + ("" if required else " <span class='badge b-adv'>advisory: never blocks</span>")


def _ordered(verdicts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Verdicts grouped by suite; suites whose required rules fail (then are undecided) first, and inside a suite
    required rules before advisory ones, each failing, then undecided, then passing."""
    def rank(v: dict[str, Any]) -> tuple[int, int]:
        return (0 if v["required"] else 1, STATUS_ORDER.get(str(v["status"]), 3))

    groups: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        groups.setdefault(str(v["suite"]), []).append(v)
    for rows in groups.values():
        rows.sort(key=rank)
    return sorted(groups.items(), key=lambda item: (min(rank(v) for v in item[1]), item[0]))


def _summary(verdicts: list[dict[str, Any]]) -> str:
    required = [v for v in verdicts if v["required"]]
    counts = {s: sum(v["status"] == s for v in required) for s in ("fail", "undecided", "pass")}
    advisory = [v for v in verdicts if not v["required"]]
    text = f"{len(required)} required rules: {counts['fail']} failed, {counts['undecided']} undecided, " \
           f"{counts['pass']} passed"
    if advisory:
        flagged = sum(v["status"] != "pass" for v in advisory)
        text += f"; {len(advisory)} advisory ({flagged} not passing, reported only)"
    return text


def _items(v: dict[str, Any]) -> str:
    """The verdict's n, and the items its decision used when a sequential test stopped it earlier."""
    used = v.get("items_used")
    if used is None or used == v["n"] or v["n"] is None:
        return _num(v["n"])
    return f"{_num(v['n'])}<span class='kind'>decided at {_num(used)}</span>"


def _rules_section(record: RunRecord) -> list[str]:
    parts = ["<h2>Rules, by suite</h2>",
             "<p class='lede'>Suites with failing or undecided required rules first; inside a suite, failing, "
             "undecided, then passing; advisory rules (reported, never blocking) shaded last.</p>"]
    head = ("<table><colgroup><col style='width:24%'><col style='width:12%'><col style='width:8%'>"
            "<col style='width:8%'><col style='width:17%'><col style='width:6%'><col style='width:25%'></colgroup>"
            "<tr><th>rule</th><th>verdict</th><th class='num'>candidate</th><th class='num'>baseline</th>"
            "<th class='num'>Δ [CI]</th><th class='num'>n</th><th>why</th></tr>")
    for suite, rows in _ordered(record.verdicts):
        outcome = record.outcomes.get(suite)
        ran = ", ".join(f"{n} {k}" for k, n in sorted(outcome.items())) if outcome else "no test ran"
        parts.append(f"<div class='suite-head'><h3>{_esc(suite)}</h3><span class='kind'>tests: {_esc(ran)}"
                     "</span></div>")
        body = []
        for v in rows:
            if v["ci_low"] is not None:
                ci = (f"{_num(v['delta'], True)}<br><span class='kind'>[{_num(v['ci_low'], True)}, "
                      f"{_num(v['ci_high'], True)}]</span>")
            elif v["kind"] == "ratio" and v["delta"] is not None:
                ci = f"×{float(v['delta']):.3g}<span class='kind'>ratio</span>"  # ratio rules store the ratio
            else:
                ci = _num(v["delta"], True)
            cls = "advisory" if not v["required"] else _esc(v["status"])
            body.append(
                f"<tr class='{cls}'><td>{_esc(v['rule'])}<span class='kind'>{_esc(v['kind'])} · "
                f"<code>{_esc(v['suite'])}.{_esc(v['metric'])}</code></span></td>"
                f"<td>{_badge(str(v['status']), bool(v['required']))}</td>"
                f"<td class='num'>{_num(v['candidate'])}</td><td class='num'>{_num(v['baseline'])}</td>"
                f"<td class='num'>{ci}</td><td class='num'>{_items(v)}</td>"
                f"<td class='why'>{_esc(v['reason'])}</td></tr>")
        parts.append(head + "".join(body) + "</table>")
    return parts


def regressed_examples(store: Store, run_id: str, metrics: list[tuple[str, str]], limit: int = 5
                       ) -> dict[tuple[str, str], dict[str, Any]]:
    """For each (suite, metric): how many paired examples got worse and better, and the ``limit`` that dropped
    most (prompt, both outputs, reference, both scores)."""
    if not metrics:
        return {}
    keys = [f"{s}\x1f{m}" for s, m in metrics]
    pair = ("FROM samples c JOIN samples b ON b.run_id = c.run_id AND b.suite = c.suite AND b.metric = c.metric "
            "AND b.example_id = c.example_id AND b.role = 'baseline' "
            "WHERE c.run_id = ? AND c.role = 'candidate' AND list_contains(?, c.suite || chr(31) || c.metric)")
    with store.read() as con:
        counts = con.execute(
            f"SELECT c.suite, c.metric, count(*), count(*) FILTER (WHERE c.score < b.score), "
            f"count(*) FILTER (WHERE c.score > b.score) {pair} GROUP BY ALL", [run_id, keys]).fetchall()
        rows = con.execute(
            f"SELECT c.suite, c.metric, c.example_id, c.category, coalesce(c.prompt, b.prompt), b.output, c.output, "
            f"coalesce(c.reference, b.reference), b.score, c.score {pair} AND c.score < b.score "
            "QUALIFY row_number() OVER (PARTITION BY c.suite, c.metric ORDER BY b.score - c.score DESC, "
            "c.example_id) <= ? ORDER BY c.suite, c.metric, b.score - c.score DESC, c.example_id",
            [run_id, keys, limit]).fetchall()
    out: dict[tuple[str, str], dict[str, Any]] = {
        (s, m): {"n": n, "worse": worse, "better": better, "rows": []} for s, m, n, worse, better in counts}
    for suite, metric, *rest in rows:
        out[(suite, metric)]["rows"].append(dict(zip(
            ("example_id", "category", "prompt", "baseline_output", "candidate_output", "reference",
             "baseline_score", "candidate_score"), rest, strict=True)))
    return out


def _examples_section(store: Store, record: RunRecord, limit: int) -> list[str]:
    paired = [v for _, rows in _ordered(record.verdicts) for v in rows if v["kind"] in PAIRED]
    metrics = list(dict.fromkeys((str(v["suite"]), str(v["metric"])) for v in paired))
    found = regressed_examples(store, record.run_id, metrics, limit)
    parts = ["<h2>Most regressed examples</h2>",
             f"<p class='lede'>For each metric a paired rule judges: the {limit} examples where the candidate "
             "scored furthest below the baseline on the same item. Open the metrics of rules that did not pass "
             "first.</p>"]
    if not found:
        return [*parts, "<p>No paired per-example scores were stored for this run.</p>"]
    status = {(str(v["suite"]), str(v["metric"])): v for v in paired}
    for key in metrics:
        if key not in found:
            continue
        info, verdict = found[key], status[key]
        opened = " open" if verdict["status"] != "pass" and verdict["required"] else ""
        parts.append(f"<details{opened}><summary><code>{_esc(key[0])}.{_esc(key[1])}</code> — "
                     f"{info['worse']} of {info['n']} paired examples worse, {info['better']} better "
                     f"({_esc(verdict['rule'])}: {_esc(verdict['status'])})</summary>")
        if not info["rows"]:
            parts.append("<p>No example scored lower for the candidate than for the baseline.</p></details>")
            continue
        parts.append("<table><colgroup><col style='width:11%'><col style='width:28%'><col style='width:21%'>"
                     "<col style='width:21%'><col style='width:10%'><col style='width:9%'></colgroup>"
                     "<tr><th>example</th><th>prompt</th><th>baseline output</th><th>candidate output</th>"
                     "<th>reference</th><th class='num'>score: base → cand</th></tr>")
        for row in info["rows"]:
            category = f"<span class='kind'>{_esc(row['category'])}</span>" if row["category"] else ""
            parts.append(
                f"<tr><td class='mono'>{_esc(row['example_id'])}{category}</td>"
                f"<td><div class='cell'>{_esc(row['prompt'])}</div></td>"
                f"<td><div class='cell'>{_esc(row['baseline_output'])}</div></td>"
                f"<td><div class='cell'>{_esc(row['candidate_output'])}</div></td>"
                f"<td><div class='cell'>{_esc(row['reference'])}</div></td>"
                f"<td class='num'>{_num(row['baseline_score'])} → {_num(row['candidate_score'])}</td></tr>")
        parts.append("</table></details>")
    return parts


def _history_section(store: Store, record: RunRecord, history: int) -> list[str]:
    parts = ["<h2>History</h2>",
             "<p class='lede'>Each rule metric over recent finished runs: one line per candidate (lines never join "
             "two models), each run's baseline as a hollow square, this run ringed.</p>"]
    refs = list(dict.fromkeys((str(v["suite"]), str(v["metric"])) for _, rows in _ordered(record.verdicts)
                              for v in rows))
    plots = []
    for suite, metric in refs:
        series = metric_series(store, suite, metric, history)
        if series:
            svg = history_svg(series, f"{suite}.{metric}", highlight=record.run_id)
            plots.append(f"<div><img class='plot' alt='{_esc(suite)}.{_esc(metric)} history' "
                         f"src='data:image/svg+xml;base64,{svg}'></div>")
    if not plots:
        return [*parts, "<p>No stored metric history for the metrics this policy names.</p>"]
    return [*parts, "<div class='grid'>", *plots, "</div>"]


def html_report(store: Store, record: RunRecord, history: int = 50, examples: int = 5) -> str:
    """The page's HTML text (see the module docstring for what it holds, in order)."""
    run, decision = record.run, record.decision
    title = f"tunegate {record.run_id}"
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_esc(title)}</title>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
             "<body><main>",
             f"<h1>tunegate gate <span class='decision {_esc(record.verdict)}'>{_esc(record.verdict)}</span></h1>",
             f"<p class='lede'>{_esc(_summary(record.verdicts)) if record.verdicts else 'no rule was evaluated'}"
             "</p>"]
    if record.reasons:
        parts += ["<h2>Why not promoted</h2><ul class='reasons'>",
                  *[f"<li>{_esc(r)}</li>" for r in record.reasons], "</ul>"]
    elif decision is None:
        parts.append("<p>No decision was recorded: the run did not finish, so nothing may be promoted from it.</p>")
    meta = [("run", f"<code>{_esc(record.run_id)}</code> ({_esc(run['status'])}, started {_esc(run['started_at'])} "
                    "UTC)"),
            ("candidate", f"<code>{_esc(run['candidate_id'])}</code> at <code>{_esc(run['candidate_path'])}</code>"),
            ("candidate weights sha256", f"<code>{_esc(run.get('candidate_fingerprint'))}</code>"),
            ("baseline", f"<code>{_esc(run['baseline_ref'])}</code>"),
            ("policy", f"<code>{_esc(run.get('policy_path'))}</code>"),
            ("policy sha256", f"<code>{_esc(run.get('policy_sha256'))}</code>")]
    parts.append("<table class='meta'>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in meta) + "</table>")
    ordered = [v for _, rows in _ordered(record.verdicts) for v in rows]
    rows = forest_rows(ordered)
    if rows:
        parts += ["<h2>Paired rules: Δ and confidence interval against the bound</h2>",
                  "<p class='lede'>Each dot is the candidate's mean minus the baseline's on the same examples; the "
                  "bar its confidence interval; the dashed tick the bound the interval must lie wholly above "
                  "(superiority: +margin; non-inferiority: −margin). Colour is the verdict.</p>",
                  f"<img class='plot' alt='forest plot of the paired rules' "
                  f"src='data:image/svg+xml;base64,{forest_svg(rows)}'>"]
    if record.verdicts:
        parts += _rules_section(record)
        parts += _examples_section(store, record, examples)
    parts += _history_section(store, record, history)
    if record.metrics:
        parts.append("<details><summary>Every metric of this run</summary><table><tr><th>suite.metric</th>"
                     "<th>role</th><th class='num'>value</th><th class='num'>n</th><th class='num'>CI</th></tr>")
        for m in record.metrics:
            ci = f"[{_num(m['ci_low'])}, {_num(m['ci_high'])}]" if m["ci_low"] is not None else "—"
            parts.append(f"<tr><td><code>{_esc(m['suite'])}.{_esc(m['metric'])}</code></td><td>{_esc(m['role'])}"
                         f"</td><td class='num'>{_num(m['value'])}</td><td class='num'>{_num(m['n'])}</td>"
                         f"<td class='num'>{ci}</td></tr>")
        parts.append("</table></details>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def write_html(store: Store, record: RunRecord, path: str | Path) -> Path:
    """Write the self-contained page to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(store, record), encoding="utf-8")
    return path
