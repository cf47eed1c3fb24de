"""Read-only SQL over the results database: no writes, no files, no extensions, no attaching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError, StoreError
from harness.store.db import Store

READ_STATEMENTS = ("SELECT", "EXPLAIN")


def _only_reads(con: Any, query: str) -> None:
    """Accept exactly one SELECT (incl. FROM-first, SHOW, DESCRIBE, SUMMARIZE, VALUES) or EXPLAIN statement.

    Defence in depth over the read-only connection: statements that a read-only DuckDB still runs (CHECKPOINT,
    VACUUM, PRAGMA, CALL, CREATE TEMP) are refused by type before anything executes.
    """
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise HarnessError(f"query failed: {exc}") from None
    if len(statements) != 1:
        raise HarnessError(f"tunegate sql runs exactly one statement; got {len(statements)}")
    kind = statements[0].type.name
    if kind not in READ_STATEMENTS:
        raise HarnessError(
            f"tunegate sql is read-only: {kind} statements are refused (use SELECT, SHOW, DESCRIBE or EXPLAIN)"
        )


def run_readonly(query: str, db: str | Path | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``query`` on a read-only connection with external access disabled and the configuration locked."""
    import duckdb

    store = Store(db)
    if not store.path.exists():
        raise StoreError(f"{store.path}: no results database yet (run `pytest suites/ --candidate DIR` first)")
    with store.read() as con:
        _only_reads(con, query)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            cursor = con.execute(query)
        except duckdb.Error as exc:
            raise HarnessError(f"query failed: {exc}") from None
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()
