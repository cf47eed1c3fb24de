"""The documented example queries in results/queries/ run, read-only, on a populated database."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.store import run_readonly

QUERIES = sorted((Path(__file__).resolve().parents[2] / "results" / "queries").glob("*.sql"))


def test_there_are_documented_queries():
    assert len(QUERIES) >= 5
    for path in QUERIES:
        assert path.read_text().startswith("--"), f"{path.name} needs a comment saying what it answers"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_runs_and_answers(populated_db, path):
    columns, rows = run_readonly(path.read_text(), populated_db.path)
    assert columns and rows, f"{path.name} returned nothing on a populated database"
