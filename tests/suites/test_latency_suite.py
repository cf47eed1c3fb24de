"""The latency suite reports sane numbers for an adapter candidate and its baseline."""

from __future__ import annotations

import math

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
    assert con.execute("SELECT count(*) FROM samples WHERE suite='latency' AND metric='e2e_ms'").fetchone()[0] == 8  # 4 prompts x 2 roles


class _Model:
    def __init__(self, name: str = "m") -> None:
        self.name = name

    def parameters(self):
        import torch

        yield torch.zeros(1)


def test_each_timing_is_the_fastest_of_its_repeats(monkeypatch):
    """One stretched run (a scheduler hiccup) must not become the measurement; time to first token comes from the
    same calls (no call is made for it alone)."""
    from harness.scorers import latency

    times = iter([(3.0, 12.0), (400.0, 500.0), (2.0, 10.0)] * 100)  # one outlier in each run of three
    calls: list[tuple[int, int]] = []

    def fake(model, tokenizer, prompts, new_tokens):
        calls.append((len(prompts), new_tokens))
        return next(times)

    monkeypatch.setattr(latency, "_generate", fake)
    monkeypatch.setattr(latency, "_rss_mb", lambda: 100.0)
    report = latency.measure({"m": (_Model(), type("Tok", (), {})(), ["a", "b"])}, new_tokens=4, batch_size=2,
                             warmup=0, repeats=3)["m"]
    assert report.samples_ms == [10.0, 10.0] and report.ttft_ms == 2.0 and report.per_token_ms == 8.0 / 3
    assert report.e2e_p95_ms == 10.0 and report.tokens_per_s == 2 * 4 / 0.010
    assert calls == [(1, 4)] * 6 + [(2, 4)] * 3  # per prompt 3 runs; batch 3 runs


def test_a_slow_patch_of_the_cpu_stretches_both_models_not_the_one_being_timed(monkeypatch):
    """The ratio rules compare two models: they are timed call by call in alternating order (c b, b c, c b), so a
    stretch of slow calls (here the 6th to 11th: the second prompt's timings) lands on both. A subject left out
    of ``batched`` (an unmerged adapter) is timed at batch 1 only."""
    from harness.scorers import latency

    order: list[tuple[str, int]] = []

    def fake(model, tokenizer, prompts, new_tokens):
        order.append((model.name, len(prompts)))
        ms = 50.0 if 6 <= len(order) - 1 < 12 else 10.0
        return ms / 5, ms

    monkeypatch.setattr(latency, "_generate", fake)
    monkeypatch.setattr(latency, "_rss_mb", lambda: 100.0)
    tok = type("Tok", (), {})()
    reports = latency.measure({"c": (_Model("c"), tok, ["a", "b"]), "b": (_Model("b"), tok, ["a", "b"]),
                               "u": (_Model("u"), tok, ["a", "b"])},
                              new_tokens=4, batch_size=2, warmup=0, repeats=2, batched=["c", "b"])
    assert [name for name, _ in order[:6]] == ["c", "b", "u", "u", "b", "c"]
    assert reports["c"].samples_ms == reports["b"].samples_ms == reports["u"].samples_ms == [10.0, 50.0]  # both runs slow
    assert reports["c"].e2e_p95_ms == reports["b"].e2e_p95_ms
    assert {size for name, size in order if name == "u"} == {1} and math.isnan(reports["u"].tokens_per_s)
