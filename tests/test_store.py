from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.store import MIGRATIONS, Store, insert_rows, run_readonly


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    with s.write():
        pass
    return s


def test_migrations_apply_once_in_order(store):
    with store.write():
        pass
    _, rows = store.query("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [v for v, _ in MIGRATIONS]


def test_insert_rows_goes_through_arrow(store):
    rows = [{"run_id": "r", "role": "candidate", "suite": "task", "metric": "m", "example_id": str(i), "score": i % 2}
            for i in range(1000)]
    with store.write() as con:
        assert insert_rows(con, "samples", rows) == 1000
    assert store.query("SELECT sum(score) FROM samples")[1] == [(500.0,)]


def test_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.write() as con:
            insert_rows(con, "runs", [{"id": "x", "status": "running"}])
            raise RuntimeError("crash mid-step")
    assert store.query("SELECT count(*) FROM runs")[1] == [(0,)]


@pytest.mark.parametrize("statement", [
    "INSERT INTO runs (id) VALUES ('x')",
    "ATTACH 'other.duckdb' AS other",
    "COPY (SELECT 1) TO 'out.csv'",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SELECT * FROM read_csv('/etc/passwd')",
])
def test_sql_is_read_only(store, statement, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HarnessError):
        run_readonly(statement, store.path)
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_sql_answers_select(store):
    columns, rows = run_readonly("SELECT count(*) AS n FROM latest_decisions", store.path)
    assert columns == ["n"] and rows == [(0,)]
