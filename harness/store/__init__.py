"""Results store: the DuckDB database and its ordered migrations, run history, the alias registry (promote,
rollback), read-only SQL, and recovery of runs a crash left open."""

from harness.store.db import MIGRATIONS, Store, db_path, insert_rows, now
from harness.store.faults import fault_point
from harness.store.history import RunRecord, history, load_run, metric_series, resolve_run_id
from harness.store.recovery import pid_alive, reap_stale_runs
from harness.store.registry import promote, resolve_alias, rollback
from harness.store.sql import run_readonly

__all__ = [
    "MIGRATIONS", "RunRecord", "Store", "db_path", "fault_point", "history", "insert_rows", "load_run",
    "metric_series", "now", "pid_alive", "promote", "reap_stale_runs", "resolve_alias", "resolve_run_id",
    "rollback", "run_readonly"
]
