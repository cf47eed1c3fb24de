"""The real model follows tg_ifeval's instructions well above 0, so a collapse (0 by construction: no junk output
follows any prompt, tests/suites/test_ifeval_task.py) is a drop the regression rules can see."""

from __future__ import annotations

from harness.engine import run_tasks, session_lm

from ..conftest import SUITES

# Measured 0.389 (37 of 95) for SmolLM2-135M-Instruct (float32, CPU, greedy), 0.425 (17) on the first 40 prompts
# that this test runs (24 s of generation instead of 45 s); its collapsed and over-trained fine-tunes score 0.000
# and 0.011 (docs/suites.md). The floor leaves room for numeric drift across machines.
FLOOR = 0.25
DOCS = 40


def test_real_model_follows_instructions(smollm2, tmp_path):
    from harness.session import GateOptions, GateSession

    session = GateSession(GateOptions(candidate=smollm2, baseline=str(smollm2), db=tmp_path / "r.duckdb",
                                      policy=SUITES / "gate.toml"))
    try:
        result = run_tasks(session_lm(session, "candidate"), None, ["tg_ifeval"], samples={"tg_ifeval": list(range(DOCS))})
    finally:
        session.abort("test over")
    score = result.scores["tg_ifeval"]["prompt_level_strict_acc,none"]
    assert len(result.samples) == DOCS
    assert score >= FLOOR, [s.output for s in result.samples][:10]
    assert all(s.prompt.startswith("<|im_start|>system\n") for s in result.samples)  # SmolLM2's own chat template
