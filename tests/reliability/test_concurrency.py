"""Concurrent gate runs on one DuckDB file: all succeed and no row is lost (lock with jittered retry)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from harness.errors import StoreError
from harness.store.db import Store, _is_lock_error

from .conftest import REPO, gate_env, query, start_gate


@pytest.mark.slow
def test_four_writer_processes_lose_no_row(tmp_path):
    """4 processes x 12 small transactions (+ reads through `tunegate sql`'s path and resolve_alias)."""
    db = tmp_path / "c.duckdb"
    procs = [subprocess.Popen([sys.executable, "-m", "tests.reliability.writer", str(db), f"w{k}", "12"],
                              cwd=REPO, env=gate_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for k in range(4)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    assert query(db, "SELECT run_id, count(*) FROM metrics GROUP BY 1 ORDER BY 1") == [(f"w{k}", 12) for k in range(4)]
    assert query(db, "SELECT count(*) FROM samples") == [(4 * 12 * 5,)]
    assert query(db, "SELECT count(*) FROM (SELECT run_id, metric FROM samples GROUP BY ALL HAVING count(*) != 5)") == [(0,)]


def test_four_concurrent_gate_runs_all_decide_and_lose_nothing(project):
    """Four real `pytest suites/ --candidate` processes on one results file, plus a reader, at once."""
    db = project / "r.duckdb"
    gates = [start_gate(project, db, CHEAP_N="3") for _ in range(4)]
    reader = subprocess.Popen([sys.executable, "-m", "tests.reliability.writer", str(db), "reader", "3"],
                              cwd=REPO, env=gate_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outs = [g.communicate(timeout=600)[0] for g in gates]
    reader.communicate(timeout=600)
    assert [g.returncode for g in gates] == [0, 0, 0, 0], outs
    assert reader.returncode == 0
    assert query(db, "SELECT status, count(*) FROM runs GROUP BY 1") == [("finished", 4)]
    assert query(db, "SELECT decision, count(*) FROM decisions GROUP BY 1") == [("PROMOTE", 4)]
    per_run = query(db, "SELECT run_id, count(*) FROM samples WHERE suite = 'cheap' GROUP BY 1")
    assert len(per_run) == 4 and all(n == 3 * 2 * 10 for _, n in per_run)  # 3 tests x 2 roles x 10 examples
    # per run: 3 tests x 2 roles x (the recorded count metric + the stored mean of the per-example scores)
    assert query(db, "SELECT count(*) FROM metrics WHERE suite = 'cheap'") == [(4 * 3 * 2 * 2,)]
    assert query(db, "SELECT count(*) FROM suite_outcomes") == [(4 * 3,)]
    assert query(db, "SELECT count(*) FROM candidates") == [(1,)]  # the same candidate, registered once


def test_duckdb_lock_error_is_recognised(tmp_path):
    """The retry loop keys on DuckDB 2.0's real message for a file locked by another process."""
    import duckdb

    db = tmp_path / "l.duckdb"
    Store(db).query("SELECT 1")  # creates and migrates
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.readline()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException) as info:
            duckdb.connect(str(db))
        assert _is_lock_error(info.value)
        started = time.monotonic()
        with pytest.raises(StoreError, match="another process may hold it.*TUNEGATE_LOCK_TIMEOUT"):
            with Store(db, lock_timeout=0.5).write():
                pass
        assert time.monotonic() - started >= 0.5  # it retried before giving up
    finally:
        holder.communicate("\n", timeout=60)
    with Store(db, lock_timeout=5).write() as con:  # and succeeds once the holder is gone
        con.execute("SELECT 1")


def test_a_non_lock_error_is_not_retried(tmp_path):
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot open results database"):
        with Store(bad, lock_timeout=30).write():
            pass
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_two_real_lora_gates_concurrently(lora_candidate, tmp_path):
    """Every real suite on a trained LoRA candidate, twice at once on one file, judged on the task rules (the
    default policy's other rules judge things a tiny arithmetic model fails by construction; tests/suites/)."""
    from tests.conftest import SUITES
    from tests.test_plugin_e2e import TASK_ONLY_POLICY, eval_set_answered_by

    task = eval_set_answered_by(lora_candidate, tmp_path / "eval.jsonl")
    db = tmp_path / "r.duckdb"
    policy = tmp_path / "task_only.toml"
    policy.write_text(TASK_ONLY_POLICY, encoding="utf-8")
    cmd = [sys.executable, "-m", "pytest", str(SUITES), "--candidate", str(lora_candidate), "--task-data", str(task),
           "--policy", str(policy), "--results-db", str(db), "-p", "no:cacheprovider", "-q"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=gate_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert query(db, "SELECT decision, count(*) FROM decisions GROUP BY 1") == [("PROMOTE", 2)]
    assert query(db, "SELECT count(*) FROM samples WHERE suite = 'task'") == [(2 * 4 * 24,)]
