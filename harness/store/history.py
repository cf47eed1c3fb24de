"""What the results database remembers about gate runs, read back for `history`, `report` and JUnit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, StoreError
from harness.store.db import Store


@dataclass
class RunRecord:
    """One gate run as stored: the run row, its decision, every rule verdict, its candidate metrics."""

    run: dict[str, Any]
    decision: dict[str, Any] | None
    verdicts: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # suite -> {outcome: count}

    @property
    def run_id(self) -> str:
        return str(self.run["id"])

    @property
    def verdict(self) -> str:
        """PROMOTE, REJECT, or the run's status when it never reached a decision (running, aborted)."""
        return str(self.decision["decision"]) if self.decision else str(self.run["status"]).upper()

    @property
    def reasons(self) -> list[str]:
        if not self.decision or not self.decision.get("reasons"):
            return []
        return [str(r) for r in json.loads(self.decision["reasons"])]


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _require_db(store: Store) -> None:
    if not store.path.exists():
        raise StoreError(f"{store.path}: no results database yet (run `pytest suites/ --candidate DIR` first)")


def resolve_run_id(store: Store, run_id: str, candidate: str | Path | None = None) -> str:
    """``latest`` means the most recently started run (of ``candidate``'s directory, when given); anything else
    must exist (a unique prefix is enough)."""
    _require_db(store)
    with store.read() as con:
        if run_id == "latest":
            if candidate is not None:
                row = con.execute("SELECT id FROM runs WHERE candidate_path = ? ORDER BY started_at DESC LIMIT 1",
                                  [str(Path(candidate).resolve())]).fetchone()
            else:
                row = con.execute("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
            if row is None:
                which = f" of candidate {candidate}" if candidate is not None else ""
                raise HarnessError(f"{store.path}: no runs{which} recorded yet (gate it with `pytest suites/`)")
            return str(row[0])
        rows = con.execute("SELECT id FROM runs WHERE id LIKE ? || '%' ORDER BY id", [run_id]).fetchall()
    if not rows:
        raise HarnessError(f"run '{run_id}' not found in {store.path} (see `tunegate history`)")
    exact = [r[0] for r in rows if r[0] == run_id]
    if exact:
        return str(exact[0])
    if len(rows) > 1:
        raise HarnessError(f"run id prefix '{run_id}' matches {len(rows)} runs; give more of it")
    return str(rows[0][0])


def load_run(store: Store, run_id: str, candidate: str | Path | None = None) -> RunRecord:
    """Everything the reports need about one run (``latest`` or an id or unique id prefix)."""
    run_id = resolve_run_id(store, run_id, candidate)
    with store.read() as con:
        run = _dicts(con.execute("SELECT * FROM runs WHERE id = ?", [run_id]))[0]
        decisions = _dicts(con.execute("SELECT * FROM decisions WHERE run_id = ?", [run_id]))
        verdicts = _dicts(con.execute("SELECT * FROM rule_verdicts WHERE run_id = ? ORDER BY rowid", [run_id]))
        metrics = _dicts(con.execute(
            "SELECT role, suite, metric, value, n, ci_low, ci_high FROM metrics WHERE run_id = ? "
            "ORDER BY suite, metric, role", [run_id]))
        outcome_rows = con.execute(
            "SELECT suite, outcome, count(*) FROM suite_outcomes WHERE run_id = ? GROUP BY ALL ORDER BY ALL",
            [run_id]).fetchall()
    outcomes: dict[str, dict[str, int]] = {}
    for suite, outcome, count in outcome_rows:
        outcomes.setdefault(suite, {})[outcome] = int(count)
    return RunRecord(run, decisions[0] if decisions else None, verdicts, metrics, outcomes)


def history(
    store: Store, candidate: str | None = None, metric: str | None = None, last: int = 20,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Recent runs (newest first), optionally of one candidate; with ``metric`` (suite.metric or a bare metric
    name) one row per run and role with that metric's value instead."""
    _require_db(store)
    if last < 1:
        raise HarnessError(f"--last must be at least 1, got {last}")
    where, params = [], []
    if candidate:
        where.append("candidate_id LIKE ?")
        params.append(candidate.replace("*", "%"))
    if metric:
        where.append("(metric_ref = ? OR metric = ?)")
        params += [metric, metric]
        sql = ("SELECT started_at, run_id, candidate_id, role, metric_ref AS metric, value, n, decision "
               "FROM metric_history")
        order = "started_at DESC, run_id, role"
    else:
        sql = ("SELECT r.started_at, r.id AS run_id, r.candidate_id, r.status, d.decision, "
               "(SELECT count(*) FROM rule_verdicts v WHERE v.run_id = r.id AND v.required AND v.status <> 'pass') "
               "AS blocking_rules, r.baseline_ref FROM runs r LEFT JOIN decisions d ON d.run_id = r.id")
        where = [w.replace("candidate_id", "r.candidate_id") for w in where]
        order = "r.started_at DESC"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {order} LIMIT ?"
    return store.query(sql, [*params, last])


def metric_series(store: Store, suite: str, metric: str, last: int = 50) -> list[dict[str, Any]]:
    """A metric over the most recent finished runs, oldest first, candidate and baseline values side by side
    (with each run's candidate id and baseline reference, so plots keep one series per model)."""
    with store.read() as con:
        rows = _dicts(con.execute(
            "SELECT * FROM (SELECT h.started_at, h.run_id, h.candidate_id, h.decision, r.baseline_ref, "
            "max(value) FILTER (WHERE role = 'candidate') AS candidate, "
            "max(value) FILTER (WHERE role = 'baseline') AS baseline "
            "FROM metric_history h JOIN runs r ON r.id = h.run_id "
            "WHERE h.suite = ? AND h.metric = ? AND h.status = 'finished' "
            "GROUP BY ALL ORDER BY h.started_at DESC LIMIT ?) ORDER BY started_at",
            [suite, metric, last]))
    return rows
