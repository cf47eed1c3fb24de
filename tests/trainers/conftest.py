"""Fixtures for the trainer and data-preparation tests: tiny data, files written line by line, one candidate per
method trained once per session, a tmp DuckDB."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.jsonl import write_jsonl

from ..conftest import arithmetic_rows

GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def chat(user: str, assistant: str, **extra: object) -> dict:
    """One chat SFT row."""
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}], **extra}


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    """Write raw lines (dicts become JSON) to a JSONL file."""
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def make_file(tmp_path: Path):
    """make_file(lines, name='in.jsonl') -> path."""

    def make(lines: list[str | dict], name: str = "in.jsonl") -> Path:
        return write_lines(tmp_path / name, lines)

    return make




def preference_rows(n: int, seed: int = 0) -> list[dict]:
    """'add a b': the right sum is chosen, a wrong one rejected."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        rows.append({"id": f"p{i}", "prompt": f"add {a} {b}", "chosen": str(a + b), "rejected": str((a + b + 7) % 19)})
    return rows


def tiny_config(base: Path, train: Path, out: Path, method: str, **overrides):
    """A run small enough for the default test suite: a handful of optimiser steps, quiet.

    Unpacked: two dozen tiny rows pack into a sequence or two, one step an epoch, which the trainer refuses.
    """
    from trainers import TrainConfig

    settings = dict(base=str(base), train=str(train), out=str(out), method=method, epochs=2, batch_size=8,
                    packing=False, learning_rate=2e-3, quiet=True, r=8)
    settings.update(overrides)
    return TrainConfig(**settings)


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """Tiny models are overhead-bound; multi-threaded kernels on a shared CPU box only oversubscribe it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def small_train_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tdata") / "train.jsonl"
    write_jsonl(path, arithmetic_rows(24, seed=3))
    return path


@pytest.fixture(scope="session")
def preference_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdata") / "prefs.jsonl"
    write_jsonl(path, preference_rows(20))
    return path


@pytest.fixture(scope="session")
def train_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results database for this session's training runs (never the default results/ store)."""
    return tmp_path_factory.mktemp("db") / "train.duckdb"


@pytest.fixture(scope="session")
def method_candidates(tiny_base: Path, small_train_file: Path, train_db: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One candidate per SFT-family method (qlora, sft), trained lazily and shared; lora comes from lora_candidate."""
    from trainers import train

    root = tmp_path_factory.mktemp("methods")
    return {method: train(tiny_config(tiny_base, small_train_file, root / method, method, db=str(train_db)))
            for method in ("qlora", "sft")}


@pytest.fixture(scope="session")
def dpo_candidate(tiny_base: Path, preference_file: Path, train_db: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trainers import train

    out = tmp_path_factory.mktemp("dpo") / "dpo"
    return train(tiny_config(tiny_base, preference_file, out, "dpo", epochs=2, batch_size=4, learning_rate=5e-3,
                             db=str(train_db), early_stopping_patience=None))
