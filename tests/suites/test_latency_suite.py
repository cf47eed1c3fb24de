"""The latency suite reports sane numbers for an adapter candidate and its baseline."""

from __future__ import annotations

import duckdb

from .conftest import gate


def test_latency_numbers_are_sane(pytester, lora_candidate, tmp_path):
    db = tmp_path / "r.duckdb"
    result = gate(pytester, "test_latency.py", lora_candidate, db, "--latency-new-tokens", "6",
                  "--latency-batch", "4")
    result.assert_outcomes(passed=2)
    con = duckdb.connect(str(db), read_only=True)
    m = {(r, k): v for r, k, v in con.execute("SELECT role, metric, value FROM metrics WHERE suite='latency'").fetchall()}
    for role in ("candidate", "baseline"):
        assert 0 < m[(role, "ttft_ms")] < 60_000
        assert 0 < m[(role, "e2e_p50_ms")] <= m[(role, "e2e_p95_ms")]
        assert 0 < m[(role, "per_token_ms")] < m[(role, "e2e_p50_ms")]
        assert m[(role, "tokens_per_s")] > 0 and m[(role, "peak_memory_mb")] > 10
    assert m[("candidate", "adapter_overhead")] > 0 and m[("candidate", "adapter_e2e_p50_ms")] > 0
    assert con.execute("SELECT count(*) FROM samples WHERE suite='latency' AND metric='e2e_ms'").fetchone()[0] == 12
