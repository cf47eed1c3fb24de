"""Benchmark 4: DuckDB ingest of 1M per-example sample rows (target <= 2 s) and history queries over 1,000
runs (target <= 100 ms), through the Store's own paths (Arrow insert in one write transaction; a fresh read-only
connection per query, as the CLI does). Medians of N runs.

    PYTHONPATH=. python benchmarks/bench_store.py [--rows 1000000] [--runs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from timing import median, print_table, timed

HISTORY = ("SELECT r.id, r.started_at, r.status, r.candidate_id, d.decision FROM runs r "
           "LEFT JOIN decisions d ON d.run_id = r.id ORDER BY r.started_at DESC LIMIT 20")
METRIC_TREND = ("SELECT run_id, started_at, value, ci_low, ci_high FROM metric_history "
                "WHERE suite = 'task' AND metric = 'exact_match' AND role = 'candidate'")
LEADERBOARD = "SELECT * FROM leaderboard LIMIT 20"
RUN_SAMPLES = ("SELECT role, avg(score), count(*) FROM samples WHERE run_id = 'run-0500' AND suite = 'task' "
               "GROUP BY role")


def sample_rows(n: int, runs: int) -> list[dict]:
    """Rows as GateSession.record_samples builds them (dicts, one per role x suite x metric x example)."""
    return [{
        "run_id": f"run-{i % runs:04d}", "role": "candidate" if i % 2 else "baseline", "suite": "task",
        "metric": "exact_match", "example_id": f"ex-{i}", "category": f"cat-{i % 7}", "prompt": f"prompt {i % 997}",
        "output": f"output {i % 113}", "reference": "J20.9", "score": float(i % 3 == 0), "latency_ms": 12.5,
    } for i in range(n)]


def history_tables(runs: int) -> dict[str, list[dict]]:
    start = dt.datetime(2026, 1, 1)
    run_rows = [{"id": f"run-{i:04d}", "started_at": start + dt.timedelta(hours=i), "status": "finished",
                 "candidate_id": f"cand-{i % 50}", "harness_version": "0.1.0"} for i in range(runs)]
    decisions = [{"run_id": f"run-{i:04d}", "decision": "PROMOTE" if i % 3 else "REJECT",
                  "decided_at": start + dt.timedelta(hours=i)} for i in range(runs)]
    metrics = [{"run_id": f"run-{i:04d}", "role": role, "suite": suite, "metric": metric, "value": (i % 100) / 100,
                "n": 40} for i in range(runs) for role in ("candidate", "baseline")
               for suite, metric in (("task", "exact_match"), ("task", "normalised_match"), ("safety", "refusal"),
                                     ("regression", "acc"), ("latency", "p95"))]
    return {"runs": run_rows, "decisions": decisions, "metrics": metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pyarrow as pa

    from harness.store import Store, insert_rows

    rows = sample_rows(args.rows, args.runs)
    arrow = pa.Table.from_pylist(rows)
    ingest: dict[str, list[float]] = {"dicts": [], "arrow": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            store = Store(Path(tmp) / f"ingest{i}.duckdb")
            with store.write():
                pass  # migrations outside the timing

            def write_dicts(store: Store = store) -> None:
                with store.write() as con:
                    insert_rows(con, "samples", rows)

            ingest["dicts"].append(timed(write_dicts)[0])
            store2 = Store(Path(tmp) / f"arrow{i}.duckdb")
            with store2.write():
                pass

            def write_arrow(store: Store = store2) -> None:
                with store.write() as con:
                    con.register("_bench_rows", arrow)
                    con.execute("INSERT INTO samples BY NAME SELECT * FROM _bench_rows")
                    con.unregister("_bench_rows")

            ingest["arrow"].append(timed(write_arrow)[0])
        store = Store(Path(tmp) / "ingest0.duckdb")
        with store.write() as con:
            for table, table_rows in history_tables(args.runs).items():
                insert_rows(con, table, table_rows)
        queries = {"history --last 20": HISTORY, "metric trend (1 metric, all runs)": METRIC_TREND,
                   "leaderboard view": LEADERBOARD, "one run's samples (of 1M)": RUN_SAMPLES}
        query_times = {name: [timed(lambda sql=sql: store.query(sql))[0] for _ in range(max(5, args.repeats))]
                       for name, sql in queries.items()}
    print(f"{args.rows:,} sample rows, {args.runs:,} runs, medians of {args.repeats} ingests / "
          f"{max(5, args.repeats)} queries")
    print_table("ingest (one write transaction, Arrow insert; target <= 2 s)", ["path", "median s", "ratio to target"], [
        ["insert_rows(list of dicts) — what GateSession.flush uses", median(ingest["dicts"]),
         median(ingest["dicts"]) / 2.0],
        ["Arrow table already built", median(ingest["arrow"]), median(ingest["arrow"]) / 2.0],
    ])
    print_table("queries (fresh read-only connection each; target <= 100 ms)", ["query", "median ms", "ratio to target"],
                [[name, 1000 * median(t), median(t) / 0.1] for name, t in query_times.items()])


if __name__ == "__main__":
    main()
