"""Human-readable renderings of a gate decision: the terminal table at session end, and the markdown report of
a stored run (``tunegate report``), also appended to the GitHub step summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from harness.report.console import table
from harness.store import RunRecord


def render_decision(gate: Any, stream: IO[str], color: bool = False) -> None:
    """Print the verdict table and the decision of a finished GateSession."""
    decision = gate.decision
    con = Console(file=stream, force_terminal=color, no_color=not color, width=130)
    rows = [
        [v.rule, v.kind, v.status.upper() + ("" if v.required else " (advisory)"), v.candidate, v.baseline,
         f"[{v.ci_low:+.3f}, {v.ci_high:+.3f}]" if v.ci_low is not None and v.ci_high is not None else None,
         v.items_used, v.reason]
        for v in decision.verdicts
    ]
    con.print(table(f"tunegate gate — run {gate.run_id}", ["rule", "kind", "verdict", "candidate", "baseline",
                                                          "CI (cand−base)", "items", "why"], rows))
    style = "bold green" if decision.promoted else "bold red"
    con.print(f"[{style}]{decision.decision}[/{style}]  candidate {gate.options.candidate}  vs  baseline {gate.baseline_ref}")
    for reason in decision.reasons:
        con.print(f"  - {reason}", markup=False)
    con.print(f"results: {gate.store.path}  (tunegate sql \"SELECT * FROM rule_verdicts WHERE run_id = '{gate.run_id}'\")")


def decision_line(gate: Any) -> str:
    """The one line a gate run ends on: the decision, what blocked it, and the whole run id."""
    decision = gate.decision
    if decision is None:
        why = gate.errors[-1] if gate.errors else "the gate did not decide"
        return f"tunegate: NO DECISION ({why}; nothing may be promoted) run {gate.run_id}"
    if decision.promoted:
        passed = sum(v.status == "pass" for v in decision.verdicts if v.required)
        return f"tunegate: PROMOTE ({passed} required rule{'s' if passed != 1 else ''} passed) run {gate.run_id}"
    blocking = [v for v in decision.verdicts if v.blocks]
    failed = sum(v.status == "fail" for v in blocking)
    parts = [f"{failed} rule{'s' if failed != 1 else ''} failed", f"{len(blocking) - failed} undecided"]
    if decision.errors:
        parts.append(f"{len(decision.errors)} session fault{'s' if len(decision.errors) != 1 else ''}")
    return f"tunegate: {decision.decision} ({', '.join(parts)}) run {gate.run_id}"


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.4f}" if signed else f"{value:.4g}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_ICON = {"pass": "✅ pass", "fail": "❌ fail", "undecided": "⚠️ undecided"}


def markdown_report(record: RunRecord) -> str:
    """A GitHub-flavoured markdown report of one stored run: decision, reasons, every rule, metrics."""
    run = record.run
    decision = record.decision
    lines = [f"## tunegate gate: **{record.verdict}**", ""]
    lines += [
        f"- run `{record.run_id}` ({run['status']}, started {run['started_at']:%Y-%m-%d %H:%M:%S} UTC)",
        f"- candidate `{run['candidate_id']}` at `{run['candidate_path']}`",
        f"- baseline `{run['baseline_ref']}`",
    ]
    if decision:
        lines += [
            f"- policy `{run['policy_path']}` sha256 `{decision['policy_sha256']}`",
            f"- candidate weights fingerprint `{decision['candidate_fingerprint']}`",
        ]
    else:
        lines.append("- no decision was recorded: the run did not finish, so nothing may be promoted from it")
    if record.reasons:
        lines += ["", "### Why not promoted", ""] + [f"- {_cell(r)}" for r in record.reasons]
    if record.verdicts:
        lines += ["", "### Rules", "",
                  "| rule | kind | verdict | candidate | baseline | Δ | CI (cand − base) | n | n to decide | items used "
                  "| stopped | why |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for v in record.verdicts:
            status = _ICON.get(v["status"], v["status"]) + ("" if v["required"] else " (advisory)")
            ci = f"[{v['ci_low']:+.4f}, {v['ci_high']:+.4f}]" if v["ci_low"] is not None else "—"
            lines.append(
                f"| {_cell(v['rule'])} | {v['kind']} | {status} | {_num(v['candidate'])} | {_num(v['baseline'])} | "
                f"{_num(v['delta'], signed=True)} | {ci} | {_num(v['n'])} | {_num(v['needed_n'])} | "
                f"{_num(v.get('items_used'))} | {_cell(v.get('stop_reason') or '—')} | {_cell(v['reason'])} |")
    if record.outcomes:
        lines += ["", "### Suites", "", "| suite | outcomes |", "| --- | --- |"]
        for suite, counts in sorted(record.outcomes.items()):
            lines.append(f"| {suite} | {', '.join(f'{k}: {n}' for k, n in sorted(counts.items()))} |")
    if record.metrics:
        lines += ["", "<details><summary>Metrics</summary>", "", "| suite.metric | role | value | n | CI |",
                  "| --- | --- | --- | --- | --- |"]
        for m in record.metrics:
            ci = f"[{m['ci_low']:.4g}, {m['ci_high']:.4g}]" if m["ci_low"] is not None else "—"
            lines.append(f"| {m['suite']}.{m['metric']} | {m['role']} | {_num(m['value'])} | {_num(m['n'])} | {ci} |")
        lines += ["", "</details>"]
    lines += ["", f"Query: `tunegate sql \"SELECT * FROM rule_verdicts WHERE run_id = '{record.run_id}'\"`", ""]
    return "\n".join(lines)


def append_step_summary(text: str) -> Path | None:
    """Append ``text`` to $GITHUB_STEP_SUMMARY when it is set (GitHub Actions); returns the file written."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    return path
