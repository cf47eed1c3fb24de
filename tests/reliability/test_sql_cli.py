"""`tunegate sql` at the command line: reads answer, anything that writes or touches files is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness import cli
from harness.engine import file_sha256
from harness.store import Store, insert_rows

from .conftest import REPO, gate_env


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    with store.write() as con:
        insert_rows(con, "runs", [{"id": "r1", "status": "finished"}])
    return store.path


def run_cli(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tunegate", *argv])
    with pytest.raises(SystemExit) as info:
        cli.main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize("statement", [
    "INSERT INTO runs (id) VALUES ('x')",
    "UPDATE runs SET status = 'finished'",
    "DELETE FROM decisions",
    "DROP TABLE runs",
    "CREATE TEMP TABLE t AS SELECT 1",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "COPY runs TO '{tmp}/out.csv'",
    "EXPORT DATABASE '{tmp}/export'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "LOAD '{tmp}/evil.duckdb_extension'",
    "PRAGMA enable_profiling",
    "PRAGMA threads = 1",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "VACUUM",
    "CALL pragma_version()",
    "SELECT 1; DROP TABLE runs",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM glob('/*')",
])
def test_cli_sql_refuses_writes_and_file_access(monkeypatch, capsys, db, tmp_path, statement):
    before = file_sha256(db)
    code, out, err = run_cli(monkeypatch, capsys, "sql", statement.format(tmp=tmp_path), "--db", str(db))
    assert code == 2 and err.startswith("tunegate: error:"), (code, out, err)
    assert "Traceback" not in err
    assert file_sha256(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [db.name]  # nothing exported, attached or copied


@pytest.mark.parametrize("statement", ["SELECT id, status FROM runs", "FROM runs", "SHOW TABLES", "DESCRIBE runs",
                                       "EXPLAIN SELECT * FROM runs", "SELECT count(*) FROM latest_decisions"])
def test_cli_sql_answers_reads(monkeypatch, capsys, db, statement):
    code, out, err = run_cli(monkeypatch, capsys, "sql", statement, "--db", str(db))
    assert code == 0 and not err


def test_the_installed_entry_point_refuses_a_write(db):
    """Through a real process, as a user would run it."""
    done = subprocess.run([sys.executable, "-c", "from harness.cli import main; main()", "sql",
                           "DELETE FROM runs", "--db", str(db)], cwd=REPO, env=gate_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "read-only" in done.stderr
    assert Store(db).query("SELECT count(*) FROM runs")[1] == [(1,)]
