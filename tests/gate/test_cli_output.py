"""What `tunegate history`, `sql`, `cache stats` and the reports print: run ids and fingerprints whole, never cut
to fit; `--format csv|json` machine-readable on stdout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from harness.cli import app
from harness.report import markdown_report, print_table, table
from harness.store import Store, insert_rows, load_run

from .conftest import record_run

RUN_A = "run-20260101-120000-0123abcd"
RUN_B = "run-20260101-120500-89efcdab"
CAND_A = "lora-icd10-2026-01-01-learning-rate-2e-4-rank-16-0123456789ab"
FINGERPRINT = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def long_ids(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Two runs with ids as real runs have them, a long candidate id, and a cache entry with a full fingerprint."""
    store = Store(tmp_path_factory.mktemp("ids") / "results.duckdb")
    base = [1] * 55 + [0] * 45
    record_run(store, RUN_A, CAND_A, 0, [1] * 70 + [0] * 30, base)
    record_run(store, RUN_B, "external-89efcdab0123", 5, [1] * 20 + [0] * 80, base)
    with store.write() as con:
        insert_rows(con, "generations", [{
            "key": "k" * 64, "kind": "generate", "model_fingerprint": FINGERPRINT, "harness_version": "0",
            "params": "{}", "prompt_sha256": "a" * 64, "output": "x", "created_at": dt.datetime(2026, 1, 1)}])
    return store


def cli(*argv: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, list(argv), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_history_shows_run_and_candidate_ids_whole(long_ids):
    out = cli("history", "--db", str(long_ids.path))
    for whole in (RUN_A, RUN_B, CAND_A):
        assert whole in out, out
    assert "…" not in out


def test_cache_stats_shows_fingerprints_whole(long_ids):
    out = cli("cache", "stats", "--db", str(long_ids.path))
    assert FINGERPRINT in out and "…" not in out


def test_a_table_wider_than_the_screen_keeps_ids_whole_and_wraps_the_rest():
    screen = Console(file=io.StringIO(), width=40, color_system=None)
    print_table(screen, table("runs", ["started_at", "run_id", "fingerprint"],
                              [[dt.datetime(2026, 1, 1, 12), RUN_A, FINGERPRINT]]))
    text = screen.file.getvalue()
    assert RUN_A in text and FINGERPRINT in text and "…" not in text
    assert "started_at" in text  # headers are not cut either


def test_cells_are_never_read_as_markup():
    screen = Console(file=io.StringIO(), width=80, color_system=None)
    print_table(screen, table("", ["output"], [["[/] [bold]not markup[/bold]"]]))
    assert "[/] [bold]not markup[/bold]" in screen.file.getvalue()


def test_history_as_json_is_one_object_per_run(long_ids):
    rows = json.loads(cli("history", "--db", str(long_ids.path), "--format", "json"))
    assert [r["run_id"] for r in rows] == [RUN_B, RUN_A]
    assert rows[1]["candidate_id"] == CAND_A and rows[1]["decision"] == "PROMOTE"
    assert rows[1]["started_at"] == "2026-01-01T12:00:00"


def test_history_as_csv_has_a_header_and_one_row_per_run(long_ids):
    rows = list(csv.DictReader(io.StringIO(cli("history", "--db", str(long_ids.path), "--format", "csv"))))
    assert [r["run_id"] for r in rows] == [RUN_B, RUN_A]
    assert rows[0]["decision"] == "REJECT" and rows[0]["blocking_rules"] == "2"


def test_history_of_a_metric_as_json(long_ids):
    rows = json.loads(cli("history", "--db", str(long_ids.path), "--metric", "task.exact_match", "--format", "json"))
    values = {(r["run_id"], r["role"]): r["value"] for r in rows}
    assert values[(RUN_A, "candidate")] == pytest.approx(0.7)


@pytest.mark.parametrize("output", ["json", "csv"])
def test_machine_formats_print_nothing_else_when_nothing_matches(long_ids, output):
    out = cli("history", "--db", str(long_ids.path), "--candidate", "nobody", "--format", output)
    assert out.strip() == ("[]" if output == "json" else "started_at,run_id,candidate_id,status,decision,"
                                                          "blocking_rules,baseline_ref")


def test_sql_as_json_keeps_types_and_every_column(long_ids):
    query = ("SELECT DATE '2026-01-01' AS day, 1.50::DECIMAL(4, 2) AS amount, 'nan'::DOUBLE AS missing, "
             "[1, 2] AS list, NULL AS nothing, 1 AS a, 2 AS a")
    rows = json.loads(cli("sql", query, "--db", str(long_ids.path), "--format", "json"))
    assert rows == [{"day": "2026-01-01", "amount": 1.5, "missing": None, "list": [1, 2], "nothing": None,
                     "a": 1, "a_1": 2}]


def test_sql_as_csv(long_ids):
    out = cli("sql", "SELECT id, status, NULL AS nothing FROM runs ORDER BY id", "--db", str(long_ids.path),
              "--format", "csv")
    assert out.splitlines() == ["id,status,nothing", f"{RUN_A},finished,", f"{RUN_B},finished,"]


def test_sql_refusals_stay_errors_in_every_format(long_ids):
    result = CliRunner().invoke(app, ["sql", "DELETE FROM runs", "--db", str(long_ids.path), "--format", "json"])
    assert result.exit_code != 0 and "read-only" in str(result.exception)


def test_markdown_report_shows_the_policy_sha256_and_weights_fingerprint_whole(long_ids):
    text = markdown_report(load_run(long_ids, RUN_A))
    assert f"sha256 `{'ab' * 32}`" in text
    assert f"weights fingerprint `{'f' * 64}`" in text
    assert f"run `{RUN_A}`" in text and "…" not in text
