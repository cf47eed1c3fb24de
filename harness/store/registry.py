"""Aliases such as ``production``: promote a gated run's candidate, roll back, resolve an alias to a path."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.engine import file_sha256, weights_fingerprint
from harness.errors import HarnessError
from harness.store.db import Store, insert_rows, now


@dataclass(frozen=True)
class Holder:
    """Who holds an alias."""

    run_id: str
    candidate_id: str
    path: str
    weights_fingerprint: str
    already: bool = field(default=False, compare=False)
    """Set on what `promote` returns when this candidate already held the alias (nothing was recorded)."""


def _holders(con: Any, alias: str) -> list[Holder]:
    """Replay the alias history: promote pushes, rollback pops."""
    stack: list[Holder] = []
    rows = con.execute(
        "SELECT action, run_id, candidate_id, path, weights_fingerprint FROM promotions WHERE alias = ? ORDER BY promoted_at, rowid",
        [alias],
    ).fetchall()
    for action, run_id, candidate_id, path, fingerprint in rows:
        if action == "promote":
            stack.append(Holder(run_id, candidate_id, path, fingerprint))
        elif action == "rollback" and stack:
            stack.pop()
    return stack


def resolve_alias(store: Store, alias: str) -> Holder | None:
    """The current holder of ``alias``, or None when nobody holds it."""
    if not store.path.exists():
        return None
    with store.read() as con:
        stack = _holders(con, alias)
    return stack[-1] if stack else None


def verify_evidence_files(run_id: str, policy_path: str | None, policy_sha: str | None, data_sha: str | None) -> None:
    """Refuse when the policy or an eval data file recorded in the decision has changed since.

    A file that no longer exists is not an error: CI workspaces are routinely cleaned between the gate and the
    promotion, and the decision keeps its sha256 for audit. A file that exists with other bytes means the
    approval was earned against different rules or different data.
    """
    files: dict[str, str] = {}
    if policy_path and policy_sha:
        files[policy_path] = policy_sha
    if data_sha:
        files.update(json.loads(data_sha))
    for name, recorded in files.items():
        if Path(name).is_file() and file_sha256(name) != recorded:
            raise HarnessError(
                f"{name}: changed since run '{run_id}' was decided (sha256 {recorded[:12]}, now "
                f"{file_sha256(name)[:12]}); gate the candidate again with the current file"
            )


def promote(store: Store, run_id: str, alias: str = "production") -> Holder:
    """Point ``alias`` at the candidate of a PROMOTE run whose weights still match what was gated.

    Idempotent: when the same candidate (same id, same weights) already holds the alias, nothing is recorded
    and the current holder comes back with ``already`` set, so a rollback always returns to a different model.
    """
    with store.write() as con:
        row = con.execute(
            "SELECT d.decision, r.candidate_id, r.candidate_path, d.candidate_fingerprint, r.status, r.policy_path, "
            "d.policy_sha256, d.data_sha256 FROM decisions d JOIN runs r ON r.id = d.run_id WHERE d.run_id = ?",
            [run_id],
        ).fetchone()
        if row is None:
            raise HarnessError(f"run '{run_id}': no decision recorded (see `tunegate history`)")
        decision, candidate_id, path, gated_fingerprint, status, policy_path, policy_sha, data_sha = row
        if decision != "PROMOTE":
            raise HarnessError(f"run '{run_id}' was {decision}; only a PROMOTE decision can be promoted")
        if status != "finished":
            raise HarnessError(f"run '{run_id}' is '{status}', not 'finished'; gate the candidate again")
        verify_evidence_files(run_id, policy_path, policy_sha, data_sha)
        if not Path(path).exists():
            raise HarnessError(f"{path}: candidate directory of run '{run_id}' no longer exists")
        current = weights_fingerprint(path, verify=True)  # every byte again, never a cached hash
        if current != gated_fingerprint:
            raise HarnessError(
                f"{path}: weights changed since run '{run_id}' approved them "
                f"(gated {gated_fingerprint[:12]}, now {current[:12]}); gate the candidate again"
            )
        stack = _holders(con, alias)
        if stack and (stack[-1].candidate_id, stack[-1].weights_fingerprint) == (candidate_id, current):
            return replace(stack[-1], already=True)
        holder = Holder(run_id, candidate_id, path, current)
        insert_rows(con, "promotions", [{
            "alias": alias, "action": "promote", "run_id": run_id, "candidate_id": candidate_id, "path": path,
            "weights_fingerprint": current, "previous_run_id": stack[-1].run_id if stack else None, "promoted_at": now(),
        }])
    return holder


def rollback(store: Store, alias: str = "production") -> Holder | None:
    """Return ``alias`` to its previous holder; returns the new holder (None when the alias becomes empty)."""
    with store.write() as con:
        stack = _holders(con, alias)
        if not stack:
            raise HarnessError(f"alias '{alias}' has no holder to roll back")
        gone = stack.pop()
        insert_rows(con, "promotions", [{
            "alias": alias, "action": "rollback", "run_id": gone.run_id, "candidate_id": gone.candidate_id,
            "path": gone.path, "weights_fingerprint": gone.weights_fingerprint,
            "previous_run_id": stack[-1].run_id if stack else None, "promoted_at": now(),
        }])
    return stack[-1] if stack else None
