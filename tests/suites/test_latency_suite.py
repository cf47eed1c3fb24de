"""The latency suite reports sane numbers for an adapter candidate and its baseline."""

from __future__ import annotations

import duckdb

from .conftest import gate


def test_latency_numbers_are_sane(pytester, lora_candidate, tmp_path):
    db = tmp_path / "r.duckdb"
    result = gate(pytester, "test_latency.py", lora_candidate, db, "--latency-new-tokens", "6",
                  "--latency-batch", "4")
    result.assert_outcomes(passed=1)
    con = duckdb.connect(str(db), read_only=True)
    m = {(r, k): v for r, k, v in con.execute("SELECT role, metric, value FROM metrics WHERE suite='latency'").fetchall()}
    for role in ("candidate", "baseline"):
        assert 0 < m[(role, "ttft_ms")] < 60_000
        assert 0 < m[(role, "e2e_p50_ms")] <= m[(role, "e2e_p95_ms")]
        assert 0 < m[(role, "per_token_ms")] < m[(role, "e2e_p50_ms")]
        assert m[(role, "tokens_per_s")] > 0 and m[(role, "peak_memory_mb")] > 10
    assert m[("candidate", "adapter_overhead")] > 0 and m[("candidate", "adapter_e2e_p50_ms")] > 0
    assert con.execute("SELECT count(*) FROM samples WHERE suite='latency' AND metric='e2e_ms'").fetchone()[0] == 12


class _Model:
    def __init__(self, name: str = "m") -> None:
        self.name = name

    def parameters(self):
        import torch

        yield torch.zeros(1)


def test_each_timing_is_the_median_of_its_repeats(monkeypatch):
    """One stretched run (a scheduler hiccup) must not become the measurement."""
    from harness.scorers import latency

    times = iter([10.0, 500.0, 12.0] * 100)  # each run of three has one 500 ms outlier; the median is 12
    calls: list[tuple[int, int]] = []

    def fake(model, tokenizer, prompts, new_tokens):
        calls.append((len(prompts), new_tokens))
        return next(times)

    monkeypatch.setattr(latency, "_generate", fake)
    monkeypatch.setattr(latency, "_rss_mb", lambda: 100.0)
    report = latency.measure({"m": (_Model(), type("Tok", (), {})(), ["a", "b"])}, new_tokens=4, batch_size=2,
                             warmup=0, repeats=3)["m"]
    assert report.samples_ms == [12.0, 12.0] and report.ttft_ms == 12.0
    assert report.e2e_p95_ms == 12.0 and report.tokens_per_s == 2 * 4 / 0.012
    # per prompt: 3 ttft + 3 e2e runs; batch: 1 warm-up + 3 timed
    assert len(calls) == 2 * 6 + 4


def test_a_slow_patch_of_the_cpu_stretches_both_models_not_the_one_being_timed(monkeypatch):
    """The ratio rules compare two models: they are timed call by call in alternating order (c b, b c, c b), so a
    stretch of slow calls (here the 12th to 23rd: the second prompt's timings) lands on both."""
    from harness.scorers import latency

    order: list[str] = []

    def fake(model, tokenizer, prompts, new_tokens):
        order.append(model.name)
        return 50.0 if 12 <= len(order) - 1 < 24 else 10.0

    monkeypatch.setattr(latency, "_generate", fake)
    monkeypatch.setattr(latency, "_rss_mb", lambda: 100.0)
    tok = type("Tok", (), {})()
    reports = latency.measure({"c": (_Model("c"), tok, ["a", "b"]), "b": (_Model("b"), tok, ["a", "b"])},
                              new_tokens=4, batch_size=2, warmup=0, repeats=3)
    assert order[:6] == ["c", "b", "b", "c", "c", "b"]
    assert reports["c"].samples_ms == reports["b"].samples_ms == [10.0, 50.0]
    assert reports["c"].e2e_p95_ms == reports["b"].e2e_p95_ms
