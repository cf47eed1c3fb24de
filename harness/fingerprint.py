"""Weights fingerprints: a full sha256 over a directory's weight and config files.

A full hash (not sampled blocks) because promotion relies on it to prove the weights did not change; a
sampled hash could miss a tampered tensor. It is cached per process by (path, size, mtime) so each model is
hashed once per session.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

WEIGHT_SUFFIXES = (".safetensors",)
CONFIG_NAMES = ("config.json", "adapter_config.json", "generation_config.json")
_cache: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of one file, streamed."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprinted_files(root: Path, names: tuple[str, ...] | None) -> list[Path]:
    if root.is_file():
        return [root]
    files = [p for p in sorted(root.iterdir()) if p.is_file()]
    if names is not None:
        return [p for p in files if p.name in names]
    return [p for p in files if p.suffix in WEIGHT_SUFFIXES or p.name in CONFIG_NAMES]


def dir_fingerprint(root: str | Path, names: tuple[str, ...] | None = None) -> str:
    """Fingerprint of the weight and config files directly inside ``root`` (or of chosen file names)."""
    root = Path(root).resolve()
    files = _fingerprinted_files(root, names)
    stat_key = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    key = (str(root), stat_key)
    if key in _cache:
        return _cache[key]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + file_sha256(path).encode() + b"\n")
    result = digest.hexdigest()
    _cache[key] = result
    return result


def tokenizer_fingerprint(root: str | Path) -> str:
    """Fingerprint of a saved tokenizer (its JSON files)."""
    names = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")
    return dir_fingerprint(root, names)
