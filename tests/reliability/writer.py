"""A worker process for the concurrency and kill tests: many small Store.write transactions plus reads.

Each transaction writes one metrics row and five samples rows tagged with the same (worker, txn) ids, so a
torn transaction would show as a txn with other than exactly five samples.
    python -m tests.reliability.writer DB WORKER N [--forever]
"""

from __future__ import annotations

import sys

from harness.store import Store, insert_rows, resolve_alias, run_readonly


def main() -> None:
    db, worker, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    forever = "--forever" in sys.argv
    store = Store(db)
    i = 0
    while forever or i < n:
        with store.write() as con:
            insert_rows(con, "metrics", [{"run_id": worker, "suite": "w", "metric": f"t{i}", "value": float(i)}])
            insert_rows(con, "samples", [{"run_id": worker, "suite": "w", "metric": f"t{i}", "example_id": str(j),
                                          "score": 1.0} for j in range(5)])
        if i % 4 == 0:  # reads interleaved with everyone's writes
            run_readonly("SELECT count(*) FROM samples", db)
            resolve_alias(store, "production")
        i += 1
    print(f"{worker} wrote {i}", flush=True)


if __name__ == "__main__":
    main()
