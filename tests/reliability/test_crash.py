"""Crash safety: a run SIGKILLed at any point leaves whole transactions only, is marked aborted when the next
run opens the store, and can never be promoted. Faults are injected with the TUNEGATE_FAULT test hook
(harness/store/faults.py) and by killing a writer from outside at random moments."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest

from harness.errors import HarnessError
from harness.store import Store, insert_rows, now, pid_alive, promote, reap_stale_runs

from .conftest import REPO, gate_env, query, run_gate

# point -> (samples the killed run leaves, run status right after the kill, decision right after the kill)
FAULTS = {
    "start": (0, "running", None),
    "flush": (0, "running", None),          # killed inside the first test's transaction: nothing of it survives
    "after_flush": (20, "running", None),   # one whole test: 2 roles x 10 examples
    "decision": (60, "running", None),      # inside the decision transaction: no decision, run not finished
    "after_decision": (60, "finished", "PROMOTE"),  # the decision had committed: a complete, legitimate run
}


def test_kill_at_every_fault_point_then_recover(project):
    db = project / "r.duckdb"
    killed = {}
    for point, (samples, status, decision) in FAULTS.items():
        before = {r[0] for r in query(db, "SELECT id FROM runs")} if db.exists() else set()
        result = run_gate(project, db, TUNEGATE_FAULT=point)
        assert result.returncode == -signal.SIGKILL, (point, result.stdout)
        (run_id,) = {r[0] for r in query(db, "SELECT id FROM runs")} - before
        killed[point] = run_id
        assert query(db, f"SELECT count(*) FROM samples WHERE run_id = '{run_id}'") == [(samples,)], point
        assert query(db, f"SELECT status FROM runs WHERE id = '{run_id}'") == [(status,)], point
        got = query(db, f"SELECT decision FROM decisions WHERE run_id = '{run_id}'")
        assert got == ([(decision,)] if decision else []), point
        assert query(db, f"SELECT count(*) FROM rule_verdicts WHERE run_id = '{run_id}'")[0][0] == (1 if decision else 0)

    # the next run reaps every dead 'running' run, then decides normally
    result = run_gate(project, db)
    assert result.returncode == 0, result.stdout
    statuses = dict(query(db, "SELECT id, status FROM runs"))
    for point, run_id in killed.items():
        assert statuses[run_id] == ("finished" if point == "after_decision" else "aborted"), point
    assert query(db, "SELECT count(*) FROM decisions d JOIN runs r ON r.id = d.run_id WHERE r.status = 'aborted'") == [(0,)]
    for point in ("start", "flush", "after_flush", "decision"):
        with pytest.raises(HarnessError, match="no decision recorded"):
            promote(Store(db), killed[point])


def test_writer_killed_at_random_moments_leaves_whole_transactions(tmp_path):
    """SIGKILL from outside, at random times, a process doing back-to-back write transactions."""
    db = tmp_path / "k.duckdb"
    rng = random.Random(8)
    for k in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.writer", str(db), f"k{k}", "0", "--forever"],
                                cwd=REPO, env=gate_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until this writer has committed something, then a bit more
            if db.exists() and Store(db).query("SELECT count(*) FROM metrics WHERE run_id = ?", [f"k{k}"])[1][0][0]:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    per_worker = query(db, "SELECT run_id, count(*) FROM metrics GROUP BY 1 ORDER BY 1")
    assert [w for w, _ in per_worker] == ["k0", "k1", "k2"] and all(n >= 1 for _, n in per_worker)
    assert query(db, "SELECT count(*) FROM (SELECT run_id, metric FROM samples GROUP BY ALL HAVING count(*) != 5)") == [(0,)]
    assert query(db, "SELECT count(*) FROM samples")[0][0] == 5 * sum(n for _, n in per_worker)
    with Store(db).write() as con:  # and the file still takes writes
        insert_rows(con, "metrics", [{"run_id": "after", "metric": "x", "value": 1.0}])


def _run_row(run_id: str, pid: int | None, host: str, heartbeat: dt.datetime) -> dict:
    return {"id": run_id, "status": "running", "pid": pid, "host": host, "started_at": heartbeat,
            "heartbeat_at": heartbeat}


def test_reaper_marks_only_dead_or_stale_runs(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    here, fresh, old = socket.gethostname(), now(), now() - dt.timedelta(hours=7)
    store = Store(tmp_path / "s.duckdb")
    with store.write() as con:
        insert_rows(con, "runs", [
            _run_row("dead-pid", dead.pid, here, fresh),
            _run_row("alive", os.getpid(), here, fresh),
            _run_row("alive-but-silent", os.getpid(), here, old),
            _run_row("other-host-fresh", 1, "elsewhere.example", fresh),
            _run_row("other-host-stale", 1, "elsewhere.example", old),
        ])
    with store.write() as con:
        reaped = reap_stale_runs(con, stale_after_s=6 * 3600)
    assert sorted(reaped) == ["alive-but-silent", "dead-pid", "other-host-stale"]
    assert dict(store.query("SELECT id, status FROM runs")[1]) == {
        "dead-pid": "aborted", "alive": "running", "alive-but-silent": "aborted",
        "other-host-fresh": "running", "other-host-stale": "aborted"}
    assert pid_alive(os.getpid()) and not pid_alive(dead.pid)


def test_promote_refuses_a_promote_decision_of_an_unfinished_run(tmp_path, project):
    """Even a (forged or half-written) PROMOTE row is not enough: the run must be finished."""
    store = Store(tmp_path / "s.duckdb")
    with store.write() as con:
        insert_rows(con, "runs", [{"id": "r1", "status": "aborted", "candidate_id": "c",
                                   "candidate_path": str(project / "cand")}])
        insert_rows(con, "decisions", [{"run_id": "r1", "decision": "PROMOTE", "candidate_fingerprint": "x"}])
    with pytest.raises(HarnessError, match="'aborted', not 'finished'"):
        promote(store, "r1")
