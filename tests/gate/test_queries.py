"""The documented example queries in results/queries/ run, read-only, on a populated database."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from harness.cli import app
from harness.store import run_readonly

REPO = Path(__file__).resolve().parents[2]
QUERIES = sorted((REPO / "results" / "queries").glob("*.sql"))


def test_there_are_documented_queries():
    assert len(QUERIES) >= 5
    for path in QUERIES:
        assert path.read_text().startswith("--"), f"{path.name} needs a comment saying what it answers"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_runs_and_answers(populated_db, path):
    columns, rows = run_readonly(path.read_text(), populated_db.path)
    assert columns and rows, f"{path.name} returned nothing on a populated database"


# -- through the command line, as results/README.md documents them ---------------------------------------------
def cli(*argv: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(argv), input=stdin)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_shipped_query_runs_from_its_file(populated_db, path):
    result = cli("sql", "-f", str(path), "--db", str(populated_db.path), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and rows[0], f"{path.name} returned nothing through `tunegate sql -f`"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_shipped_query_runs_from_stdin(populated_db, path):
    for argv in (["sql", "-"], ["sql"], ["sql", "-f", "-"]):  # '-', no query while stdin is not a terminal, -f -
        result = cli(*argv, "--db", str(populated_db.path), "--format", "csv", stdin=path.read_text())
        assert result.exit_code == 0, (argv, result.output)
        assert len(result.stdout.splitlines()) >= 2, (argv, result.stdout)  # a header and at least one row


def test_the_documented_commands_run(populated_db):
    """Every `tunegate sql` line in results/README.md, as written (plus --db)."""
    readme = (QUERIES[0].parents[1] / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("tunegate sql")]
    assert commands
    for command in commands:
        argv = shlex.split(command)[1:]
        stdin = None
        if "<" in argv:
            stdin = (REPO / argv[argv.index("<") + 1]).read_text()
            argv = argv[:argv.index("<")]
        argv = [str(REPO / a) if a.startswith("results/") else a for a in argv]
        result = cli(*argv, "--db", str(populated_db.path), stdin=stdin)
        assert result.exit_code == 0, (command, result.output)


def test_a_query_file_that_cannot_be_read_names_it(populated_db, tmp_path):
    result = cli("sql", "-f", str(tmp_path / "missing.sql"), "--db", str(populated_db.path))
    assert result.exit_code != 0 and "missing.sql: cannot read the SQL file" in str(result.exception)


def test_empty_sql_is_refused(populated_db):
    result = cli("sql", "-", "--db", str(populated_db.path), stdin="  \n")
    assert result.exit_code != 0 and "no SQL given" in str(result.exception)


def test_a_query_and_a_file_together_are_refused(populated_db):
    result = cli("sql", "SELECT 1", "-f", str(QUERIES[0]), "--db", str(populated_db.path))
    assert result.exit_code != 0 and "not both" in str(result.exception)
