"""Fixtures for the performance tests: cheap random LoRA adapters over the shared tiny base, gate sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import SUITES


def make_adapter(base: Path, out: Path, seed: int) -> Path:
    """A LoRA adapter with random (non-zero) weights saved over ``base``: a candidate without training."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="session")
def adapter(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tiny_base, tmp_path_factory.mktemp("adapter") / "a", seed=1)


@pytest.fixture(autouse=True)
def _private_fingerprint_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the persistent fingerprint cache of these tests out of the user's home."""
    monkeypatch.setenv("TUNEGATE_FINGERPRINT_CACHE", str(tmp_path / "fingerprints.json"))


@pytest.fixture
def session_factory(tmp_path: Path) -> Callable[..., object]:
    """Make a GateSession on a candidate with a results DB under tmp_path (shared by calls unless given)."""
    from harness.session import GateOptions, GateSession

    def make(candidate: Path, db: Path | None = None, **options: object) -> GateSession:
        session = GateSession(GateOptions(candidate=candidate, policy=SUITES / "gate.toml",
                                          db=db or tmp_path / "r.duckdb", **options))  # type: ignore[arg-type]
        session.start()
        return session

    return make


class CallCounter:
    """Wraps a loaded model's ``generate`` and ``forward`` and counts the batches that reach the model: a
    ``generate`` call, or a forward pass that starts without a KV cache (a batch of the engine's own greedy loop,
    a log-likelihood batch); decode steps and the passes inside ``generate`` are not counted again."""

    def __init__(self, model: object) -> None:
        self.batches = 0
        self._inside_generate = False
        original_generate = model.generate  # type: ignore[attr-defined]
        original_forward = model.forward  # type: ignore[attr-defined]

        def generate(*args: object, **kwargs: object) -> object:
            self.batches += 1
            self._inside_generate = True
            try:
                return original_generate(*args, **kwargs)
            finally:
                self._inside_generate = False

        def forward(*args: object, **kwargs: object) -> object:
            if not self._inside_generate and kwargs.get("cache", kwargs.get("past_key_values")) is None:
                self.batches += 1
            return original_forward(*args, **kwargs)

        model.generate = generate  # type: ignore[attr-defined]
        model.forward = forward  # type: ignore[attr-defined]
