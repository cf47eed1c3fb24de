"""`tunegate demo`: the whole product, offline, on the embedded default domain (ICD-10 coding)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.console import console, table
from harness.jsonl import write_jsonl

SUITES = Path(__file__).resolve().parent.parent / "suites"


def _gate(candidate: Path, db: Path, task_data: Path, device: str) -> int:
    cmd = [sys.executable, "-m", "pytest", str(SUITES), "--candidate", str(candidate), "--results-db", str(db),
           "--task-data", str(task_data), "--tunegate-device", device, "-q", "-p", "no:cacheprovider"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run(cmd, env=env, check=False).returncode


def run_demo(fast: bool = False, keep: Path | None = None, device: str = "cpu") -> None:
    """Build a base model, train a LoRA candidate, gate it against the base, show the stored results."""
    from harness.demo_data import corpus, eval_rows, training_rows
    from harness.sqlquery import run_readonly
    from harness.testing import build_tiny_model
    from trainers import TrainConfig, train

    out = console()
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="tunegate-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    out.rule("1. data")
    write_jsonl(root / "data" / "train.jsonl", training_rows())
    write_jsonl(root / "data" / "eval.jsonl", eval_rows())
    out.print(f"{len(training_rows())} training conversations, {len(eval_rows())} held-out eval items -> {root / 'data'}")

    out.rule("2. base model")
    base = root / "base"
    if not (base / "model.safetensors").exists():
        build_tiny_model(base, corpus(), hidden_size=64, layers=2, vocab_size=600)
    out.print(f"base model at {base}")

    out.rule("3. train candidate (LoRA)")
    candidate = root / "candidates" / f"lora-{int(time.time())}"
    config = TrainConfig(base=str(base), train=str(root / "data" / "train.jsonl"), out=str(candidate), method="lora",
                         epochs=2 if fast else 8, learning_rate=2e-3, batch_size=8, quiet=True, device=device)
    train(config)
    out.print(f"candidate at {candidate}")

    out.rule("4. gate: pytest suites/")
    db = root / "tunegate.duckdb"
    status = _gate(candidate, db, root / "data" / "eval.jsonl", device)

    out.rule("5. history (tunegate sql)")
    columns, rows = run_readonly(
        "SELECT run_id, candidate_id, decision, decided_at FROM latest_decisions", db)
    out.print(table("latest_decisions", columns, rows))
    out.print(f"pytest exit status {status}; database {db}; {time.perf_counter() - began:.0f}s")
