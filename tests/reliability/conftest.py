"""Fixtures for the reliability tests: a cheap gate project (a real pytest gate run that loads no model) and
helpers to run it as a subprocess, concurrently or killed at a fault point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]

CHEAP_SUITE = '''
import os

import pytest

pytestmark = pytest.mark.suite("cheap")
N = int(os.environ.get("CHEAP_N", "3"))
FAIL = os.environ.get("CHEAP_FAIL")


@pytest.mark.parametrize("i", range(N))
def test_cheap(tunegate, i):
    """Records 10 per-example scores per role for metric m<i>; the candidate is perfect."""
    for role in ("candidate", "baseline"):
        tunegate.record_samples("cheap", role, f"m{i}", [
            {"example_id": f"e{j}", "score": 1.0 if role == "candidate" else 0.0,
             "prompt": f"ask {j}: mail me at user{j}@example.com", "output": "call +1 415 555 0132"}
            for j in range(10)])
        tunegate.record_metric("cheap", role, f"count{i}", 10.0, n=10)
    if os.environ.get("CHEAP_DATA"):
        tunegate.use_data(os.environ["CHEAP_DATA"])
    if os.environ.get("CHEAP_TAMPER") == str(i):
        weights = tunegate.options.candidate / "model.safetensors"
        weights.write_bytes(weights.read_bytes() + b"swapped mid-run")
    assert FAIL != str(i), "failing on purpose (CHEAP_FAIL)"
'''

POLICY = '''
[gate]
confidence = 0.95
resamples = 1000
{gate_extra}

[[rules]]
name = "cheap m0 floor"
metric = "cheap.m0"
kind = "floor"
min = 0.5
{rules_extra}
'''


def write_project(root: Path, *, gate_extra: str = "", rules_extra: str = "", suite: str = CHEAP_SUITE) -> Path:
    """A gate project: a suite folder with test_cheap.py and gate.toml, plus an ini file pinning the rootdir."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    suites = root / "suites"
    suites.mkdir(exist_ok=True)
    (suites / "test_cheap.py").write_text(suite, encoding="utf-8")
    (suites / "gate.toml").write_text(POLICY.format(gate_extra=gate_extra, rules_extra=rules_extra), encoding="utf-8")
    return suites


def fake_model_dir(path: Path, payload: bytes = b"weights") -> Path:
    """A directory that passes the safety checks and can be fingerprinted (no model is ever loaded from it)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    (path / "model.safetensors").write_bytes(payload)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp_path holding suites/ (cheap suite + policy), cand/ and base/ model dirs; returns tmp_path."""
    write_project(tmp_path)
    fake_model_dir(tmp_path / "cand", b"candidate weights")
    fake_model_dir(tmp_path / "base", b"base weights")
    return tmp_path


def gate_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("TUNEGATE_FAULT", None)
    env.update(extra)
    return env


def gate_cmd(project: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", str(project / "suites"), "--candidate", str(project / "cand"),
            "--baseline", str(project / "base"), "--results-db", str(db), "-q", "-p", "no:cacheprovider",
            "--rootdir", str(project), *extra]


def start_gate(project: Path, db: Path, *extra: str, **env: str) -> subprocess.Popen[str]:
    """Start a real gate run (``python -m pytest suites/ --candidate ...``) as a subprocess."""
    return subprocess.Popen(gate_cmd(project, db, *extra), cwd=project, env=gate_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_gate(project: Path, db: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(gate_cmd(project, db, *extra), cwd=project, env=gate_env(**env),
                          capture_output=True, text=True, timeout=300)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
