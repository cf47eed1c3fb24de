"""Unsafe candidates are refused with a message that says what and why: pickles, remote code, escaping paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.engine import candidate_base, check_candidate
from harness.errors import CandidateError

from .conftest import fake_model_dir, query


def manifest(root: Path, **fields: object) -> None:
    doc = {"id": "c1", "created_at": "2026-01-01T00:00:00", "base_model": "/somewhere/base", "base_fingerprint": "b",
           "method": "lora", "chat_template_sha256": "t", "tokenizer_fingerprint": "k", "weights_fingerprint": "w",
           "adapter_dir": "adapter", "tokenizer_dir": "tokenizer", **fields}
    (root / "candidate.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("name", ["pytorch_model.bin", "adapter_model.bin", "weights.pt", "model.PTH", "x.pkl",
                                  "sub/optimizer.pt", "Model.BIN"])
def test_pickled_weights_are_refused(tmp_path, name):
    fake_model_dir(tmp_path)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b"\x80\x04pickle")
    with pytest.raises(CandidateError, match="pickled weights are refused.*safetensors"):
        check_candidate(tmp_path)


@pytest.mark.parametrize("config", ["config.json", "tokenizer_config.json", "adapter_config.json"])
def test_remote_code_is_refused_unless_asked_by_name(tmp_path, config):
    fake_model_dir(tmp_path)
    (tmp_path / config).write_text(json.dumps({"auto_map": {"AutoModel": "modeling_evil.EvilModel"}}))
    with pytest.raises(CandidateError, match=r"remote code \(auto_map\).*--trust-remote-code"):
        check_candidate(tmp_path)
    check_candidate(tmp_path, trust_remote_code=True)  # the explicit opt-in is honoured


def test_symlinked_file_escaping_the_candidate_is_refused(tmp_path):
    cand = fake_model_dir(tmp_path / "cand")
    secret = tmp_path / "secret.safetensors"
    secret.write_bytes(b"outside")
    os.symlink(secret, cand / "extra.safetensors")
    with pytest.raises(CandidateError, match="symlink points outside"):
        check_candidate(cand)


def test_symlinked_dir_escaping_the_candidate_is_refused(tmp_path):
    cand = fake_model_dir(tmp_path / "cand")
    os.symlink(tmp_path, cand / "tokenizer")
    with pytest.raises(CandidateError, match="symlink points outside"):
        check_candidate(cand)


def test_looping_and_dangling_symlinks_are_refused(tmp_path):
    cand = fake_model_dir(tmp_path / "cand")
    os.symlink(cand / "loop", cand / "loop")
    with pytest.raises(CandidateError, match="broken or looping symlink"):
        check_candidate(cand)


def test_symlink_inside_the_candidate_is_fine(tmp_path):
    cand = fake_model_dir(tmp_path / "cand")
    os.symlink(cand / "config.json", cand / "generation_config.json")
    check_candidate(cand)


@pytest.mark.parametrize("field, value", [("adapter_dir", "../elsewhere"), ("adapter_dir", "/etc"),
                                          ("tokenizer_dir", "../../tok"), ("model_dir", "/tmp")])
def test_manifest_dirs_must_stay_inside_the_candidate(tmp_path, field, value):
    cand = tmp_path / "cand"
    fake_model_dir(cand / "adapter")
    fields = {field: value} if field != "model_dir" else {"adapter_dir": None, "model_dir": value}
    manifest(cand, **fields)
    with pytest.raises(CandidateError, match=f"field '{field}' points outside the candidate directory"):
        check_candidate(cand)


def test_adapter_base_model_elsewhere_is_legitimate(tmp_path):
    """A plain adapter dir names its base wherever it lives; that is not an escape (the base is checked on load)."""
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"lora")
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/models/base"}))
    check_candidate(adapter)
    assert candidate_base(adapter) == Path("/models/base")


def test_malformed_adapter_config_names_the_file(tmp_path):
    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": ')
    with pytest.raises(CandidateError, match=r"adapter_config.json:1: invalid JSON"):
        candidate_base(tmp_path)


def test_gate_refuses_unsafe_candidate_before_recording_anything(pytester, project):
    (project / "cand" / "pytorch_model.bin").write_bytes(b"\x80\x04")
    db = project / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(project / "suites"), "--candidate", str(project / "cand"), "--baseline", str(project / "base"),
        "--results-db", str(db), "--rootdir", str(project), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pickled weights are refused*"])
    assert not db.exists() or query(db, "SELECT count(*) FROM runs") == [(0,)]
