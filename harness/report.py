"""Human-readable renderings of a gate decision."""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console

from harness.console import table


def render_decision(gate: Any, stream: IO[str], color: bool = False) -> None:
    """Print the verdict table and the decision of a finished GateSession."""
    decision = gate.decision
    con = Console(file=stream, force_terminal=color, no_color=not color, width=130)
    rows = [
        [v.rule, v.kind, v.status.upper() + ("" if v.required else " (advisory)"), v.candidate, v.baseline,
         f"[{v.ci_low:+.3f}, {v.ci_high:+.3f}]" if v.ci_low is not None and v.ci_high is not None else None,
         v.reason]
        for v in decision.verdicts
    ]
    con.print(table(f"tunegate gate — run {gate.run_id}", ["rule", "kind", "verdict", "candidate", "baseline",
                                                          "CI (cand−base)", "why"], rows))
    style = "bold green" if decision.promoted else "bold red"
    con.print(f"[{style}]{decision.decision}[/{style}]  candidate {gate.options.candidate}  vs  baseline {gate.baseline_ref}")
    for reason in decision.reasons:
        con.print(f"  - {reason}", markup=False)
    con.print(f"results: {gate.store.path}  (tunegate sql \"SELECT * FROM rule_verdicts WHERE run_id = '{gate.run_id}'\")")
