"""Fingerprints: re-runs skip re-hashing through the persistent cache; edits and verify=True re-hash."""

from __future__ import annotations

import os
import time

import harness.engine.fingerprint as fp


def test_persistent_cache_skips_rehash_and_edits_are_seen(tmp_path, monkeypatch):
    weights = tmp_path / "model"
    weights.mkdir()
    target = weights / "model.safetensors"
    target.write_bytes(b"x" * 4096)
    first = fp.dir_fingerprint(weights)
    assert (tmp_path / "fingerprints.json").is_file()
    hashed = []
    monkeypatch.setattr(fp, "file_sha256", lambda p: hashed.append(p) or "0" * 64)
    monkeypatch.setattr(fp, "_memo", {})
    monkeypatch.setattr(fp, "_persisted", None)  # a new process: only the file remembers
    assert fp.dir_fingerprint(weights) == first and hashed == []
    assert fp.dir_fingerprint(weights, verify=True) != first and len(hashed) == 1  # verify reads the bytes


def test_same_size_same_mtime_edit_is_rehashed(tmp_path):
    weights = tmp_path / "model"
    weights.mkdir()
    target = weights / "model.safetensors"
    target.write_bytes(b"a" * 1024)
    first = fp.dir_fingerprint(weights)
    stat = target.stat()
    time.sleep(0.05)  # let the (coarse) ctime clock tick; nothing is timed
    target.write_bytes(b"b" * 1024)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a tamperer restores size and mtime
    assert fp.dir_fingerprint(weights) != first  # ctime moved, so the cached hash is not used
