"""The DuckDB results store: ordered migrations, Arrow bulk writes, short write transactions.

DuckDB lets one process hold a file for writing and fails every other opener at once. Every write here opens
the file, does one logical step in one transaction, and closes it again; an opener that finds the file locked
retries with jittered backoff for a bounded time. Concurrent gate runs therefore interleave their writes
instead of failing, and a run killed mid-way leaves only whole transactions behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.errors import StoreError

DEFAULT_DB = Path("results") / "tunegate.duckdb"
LOCK_TIMEOUT_S = float(os.environ.get("TUNEGATE_LOCK_TIMEOUT", "300"))

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_core",
        """
        CREATE TABLE candidates (
            id VARCHAR PRIMARY KEY, path VARCHAR, method VARCHAR, base_model VARCHAR,
            weights_fingerprint VARCHAR, manifest JSON, registered_at TIMESTAMP);
        CREATE TABLE runs (
            id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, heartbeat_at TIMESTAMP,
            status VARCHAR, candidate_id VARCHAR, candidate_path VARCHAR, candidate_fingerprint VARCHAR,
            baseline_ref VARCHAR, baseline_fingerprint VARCHAR, policy_path VARCHAR, policy_sha256 VARCHAR,
            git_sha VARCHAR, harness_version VARCHAR, pid INTEGER, host VARCHAR, argv VARCHAR);
        CREATE TABLE metrics (
            run_id VARCHAR, role VARCHAR, suite VARCHAR, metric VARCHAR, value DOUBLE, n INTEGER,
            ci_low DOUBLE, ci_high DOUBLE, recorded_at TIMESTAMP);
        CREATE TABLE samples (
            run_id VARCHAR, role VARCHAR, suite VARCHAR, metric VARCHAR, example_id VARCHAR, category VARCHAR,
            prompt VARCHAR, output VARCHAR, reference VARCHAR, score DOUBLE, latency_ms DOUBLE);
        CREATE TABLE suite_outcomes (
            run_id VARCHAR, suite VARCHAR, nodeid VARCHAR, outcome VARCHAR, duration_s DOUBLE, message VARCHAR);
        CREATE TABLE decisions (
            run_id VARCHAR PRIMARY KEY, decision VARCHAR, reasons JSON, policy_sha256 VARCHAR,
            candidate_fingerprint VARCHAR, data_sha256 JSON, decided_at TIMESTAMP);
        CREATE TABLE rule_verdicts (
            run_id VARCHAR, rule VARCHAR, kind VARCHAR, suite VARCHAR, metric VARCHAR, required BOOLEAN,
            status VARCHAR, candidate DOUBLE, baseline DOUBLE, delta DOUBLE, ci_low DOUBLE, ci_high DOUBLE,
            n INTEGER, needed_n INTEGER, reason VARCHAR);
        CREATE TABLE promotions (
            alias VARCHAR, action VARCHAR, run_id VARCHAR, candidate_id VARCHAR, path VARCHAR,
            weights_fingerprint VARCHAR, previous_run_id VARCHAR, promoted_at TIMESTAMP);
        CREATE TABLE train_log (
            candidate_id VARCHAR, step INTEGER, epoch DOUBLE, train_loss DOUBLE, val_loss DOUBLE,
            learning_rate DOUBLE, tokens_per_s DOUBLE, logged_at TIMESTAMP);
        """,
    ),
    (
        "002_views",
        """
        CREATE VIEW latest_decisions AS
            SELECT r.id AS run_id, r.candidate_id, r.candidate_path, r.baseline_ref, d.decision, d.reasons, d.decided_at
            FROM decisions d JOIN runs r ON r.id = d.run_id ORDER BY d.decided_at DESC;
        CREATE VIEW metric_history AS
            SELECT r.started_at, m.run_id, r.candidate_id, m.role, m.suite, m.metric, m.value, m.n, m.ci_low, m.ci_high
            FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY r.started_at;
        CREATE VIEW leaderboard AS
            SELECT r.candidate_id, m.suite, m.metric, max(m.value) AS best, arg_max(m.run_id, m.value) AS best_run,
                   count(DISTINCT m.run_id) AS runs
            FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.role = 'candidate'
            GROUP BY ALL ORDER BY m.suite, m.metric, best DESC;
        """,
    ),
    (
        "003_datasets",
        """
        CREATE TABLE datasets (
            id VARCHAR, prepared_at TIMESTAMP, out_dir VARCHAR, kind VARCHAR, sources JSON,
            rows_in INTEGER, kept INTEGER, train_rows INTEGER, val_rows INTEGER, duplicates INTEGER,
            near_duplicates INTEGER, pii_dropped INTEGER, invalid INTEGER, contaminated INTEGER, capped INTEGER,
            train_sha256 VARCHAR, val_sha256 VARCHAR, rejects_sha256 VARCHAR, report_sha256 VARCHAR,
            pii_counts JSON, balance JSON, warnings JSON, config JSON);
        """,
    ),
    (
        "004_generations",
        """
        CREATE TABLE generations (
            key VARCHAR PRIMARY KEY, kind VARCHAR, model_fingerprint VARCHAR, harness_version VARCHAR,
            params JSON, prompt_sha256 VARCHAR, output VARCHAR, new_tokens INTEGER, logprob DOUBLE,
            is_greedy BOOLEAN, latency_ms DOUBLE, created_at TIMESTAMP);
        """,
    ),
    (
        # 002's views counted aborted runs, ranked latency-like metrics as if higher were better, and listed every
        # decision without saying which is a candidate's latest. These keep 002's columns and add the missing ones.
        "005_gate",
        """
        CREATE OR REPLACE VIEW latest_decisions AS
            SELECT r.id AS run_id, r.candidate_id, r.candidate_path, r.baseline_ref, d.decision, d.reasons,
                   d.decided_at, d.policy_sha256, d.candidate_fingerprint,
                   (SELECT count(*) FROM rule_verdicts v WHERE v.run_id = d.run_id AND v.required
                        AND v.status = 'fail') AS failed_rules,
                   (SELECT count(*) FROM rule_verdicts v WHERE v.run_id = d.run_id AND v.required
                        AND v.status = 'undecided') AS undecided_rules,
                   row_number() OVER (PARTITION BY r.candidate_id ORDER BY d.decided_at DESC) = 1
                        AS latest_for_candidate
            FROM decisions d JOIN runs r ON r.id = d.run_id ORDER BY d.decided_at DESC;
        CREATE OR REPLACE VIEW metric_history AS
            SELECT r.started_at, m.run_id, r.candidate_id, m.role, m.suite, m.metric, m.value, m.n, m.ci_low,
                   m.ci_high, r.status, d.decision, m.suite || '.' || m.metric AS metric_ref
            FROM metrics m JOIN runs r ON r.id = m.run_id LEFT JOIN decisions d ON d.run_id = m.run_id
            WHERE r.status <> 'aborted' ORDER BY r.started_at;
        CREATE OR REPLACE VIEW leaderboard AS
            SELECT r.candidate_id, m.suite, m.metric, max(m.value) AS best, arg_max(m.run_id, m.value) AS best_run,
                   count(DISTINCT m.run_id) AS runs, min(m.value) AS lowest,
                   arg_max(m.value, r.started_at) AS latest, arg_max(m.run_id, r.started_at) AS latest_run,
                   arg_max(d.decision, r.started_at) AS latest_decision
            FROM metrics m JOIN runs r ON r.id = m.run_id LEFT JOIN decisions d ON d.run_id = m.run_id
            WHERE m.role = 'candidate' AND r.status = 'finished'
            GROUP BY r.candidate_id, m.suite, m.metric ORDER BY m.suite, m.metric, best DESC;
        """,
    ),
    (
        # The dtype a run loaded its models in (--tunegate-dtype, resolved), and the training data it judged a
        # candidate trained elsewhere on (--train-data or `tunegate import --train-data`), by path and sha256.
        "006_run_dtype_train_data",
        """
        ALTER TABLE runs ADD COLUMN dtype VARCHAR;
        ALTER TABLE runs ADD COLUMN train_data VARCHAR;
        ALTER TABLE runs ADD COLUMN train_data_sha256 VARCHAR;
        """,
    ),
    (
        # Sequential monitoring (harness.gate.monitor): the items a rule's verdict rests on and why it stopped
        # there ("decided fail at n=128: ...", "ran all items: ..."). NULL on verdicts stored before.
        "007_rule_stops",
        """
        ALTER TABLE rule_verdicts ADD COLUMN items_used INTEGER;
        ALTER TABLE rule_verdicts ADD COLUMN stop_reason VARCHAR;
        """,
    ),
]


def now() -> dt.datetime:
    """Naive UTC timestamp, as stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def db_path(explicit: str | Path | None = None) -> Path:
    """The database file: explicit argument, else $TUNEGATE_DB, else results/tunegate.duckdb."""
    return Path(explicit or os.environ.get("TUNEGATE_DB") or DEFAULT_DB)


LOCK_MESSAGES = ("could not set lock on file", "conflicting lock is held", "being used by another process")


def _is_lock_error(exc: Exception) -> bool:
    """DuckDB's own wording for a file another process holds (not any message that merely mentions 'lock':
    the file's path is part of the message and may well contain it)."""
    text = str(exc).lower()
    return any(phrase in text for phrase in LOCK_MESSAGES)


def _connect(path: Path, read_only: bool, timeout: float) -> Any:
    import duckdb

    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_error(exc):
                raise StoreError(f"{path}: cannot open results database ({exc})") from None
            if time.monotonic() > deadline:
                raise StoreError(
                    f"{path}: cannot open results database ({exc}); another process may hold it — "
                    f"retry, or raise TUNEGATE_LOCK_TIMEOUT (now {timeout:.0f}s)"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def migrate(con: Any) -> None:
    """Apply pending migrations in order, each recorded once in schema_migrations."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, sql in MIGRATIONS:
        if version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, now()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


class Store:
    """Handle on one results database file; holds no connection between calls."""

    def __init__(self, path: str | Path | None = None, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = db_path(path)
        self.lock_timeout = lock_timeout
        self._migrated = False

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One transaction on a freshly opened connection; commits on success, rolls back on error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(self.path, read_only=False, timeout=self.lock_timeout)
        try:
            if not self._migrated:
                migrate(con)
                self._migrated = True
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A read-only connection: nothing run through it can change the database."""
        if not self.path.exists():
            with self.write():
                pass
        con = _connect(self.path, read_only=True, timeout=self.lock_timeout)
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a read-only query; return (column names, rows)."""
        with self.read() as con:
            cursor = con.execute(sql, params or [])
            columns = [d[0] for d in cursor.description] if cursor.description else []
            return columns, cursor.fetchall()


def insert_rows(con: Any, table: str, rows: list[dict[str, Any]]) -> int:
    """Bulk-insert dicts through an Arrow table (never row-at-a-time); columns are matched by name."""
    if not rows:
        return 0
    import pyarrow as pa

    columns = list(rows[0].keys())
    finish = getattr(con, "complete", None)
    if finish is not None:  # DuckDB 2: a half-fetched result (e.g. fetchone) blocks register() until completed
        finish()
    # Only JSON-typed columns need per-value conversion; the rest go through pyarrow's C++ row converter
    # (a Python loop over every value costs ~10 s per million sample rows).
    json_columns = {name for name, kind in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall() if kind == "JSON"}
    if json_columns & set(columns):
        rows = [{c: _plain(r.get(c)) if c in json_columns else r.get(c) for c in columns} for r in rows]
    arrow = pa.Table.from_pylist(rows).select(columns)
    for i, f in enumerate(arrow.schema):  # nested values bound for a non-JSON column: store their JSON text
        if pa.types.is_struct(f.type) or pa.types.is_list(f.type) or pa.types.is_map(f.type):
            arrow = arrow.set_column(i, f.name, pa.array([_plain(r.get(f.name)) for r in rows], pa.string()))
    con.register("_tunegate_rows", arrow)
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _tunegate_rows")
    finally:
        con.unregister("_tunegate_rows")
    return len(rows)


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value
