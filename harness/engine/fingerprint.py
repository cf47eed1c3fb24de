"""Weights fingerprints: a full sha256 over a directory's weight and config files.

A full hash (not sampled blocks) because promotion relies on it to prove the weights did not change; a
sampled hash could miss a tampered tensor. Hashing multi-GB weights on every gate run is the cost to avoid,
so each file's sha256 is remembered twice, both keyed by the file's stat identity (resolved path, size,
mtime_ns, ctime_ns, inode): per process, and in a small JSON file (``$TUNEGATE_FINGERPRINT_CACHE``, default
``~/.cache/tunegate/fingerprints.json``; ``off`` disables it) so re-runs do not re-hash. Any write to a
file changes its ctime, which user code cannot set back, so an edited file is re-hashed. Promotion passes
``verify=True``, which ignores both caches and hashes every byte again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

WEIGHT_SUFFIXES = (".safetensors",)
CONFIG_NAMES = ("config.json", "adapter_config.json", "generation_config.json")
MAX_PERSISTED = 20000
_memo: dict[str, str] = {}
_persisted: dict[str, str] | None = None


def file_sha256(path: str | Path) -> str:
    """sha256 of one file, streamed."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def persistent_cache_path() -> Path | None:
    """The fingerprint cache file, or None when disabled (``TUNEGATE_FINGERPRINT_CACHE=off``)."""
    value = os.environ.get("TUNEGATE_FINGERPRINT_CACHE")
    if value is not None and value.strip().lower() in ("", "0", "off", "false", "no"):
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tunegate" / "fingerprints.json"


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"


def _load_persisted() -> dict[str, str]:
    global _persisted
    if _persisted is None:
        _persisted = {}
        target = persistent_cache_path()
        if target is not None and target.is_file():
            try:
                data = json.loads(target.read_text(encoding="utf-8"))
                _persisted = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
            except (OSError, ValueError):
                _persisted = {}  # a corrupt cache only costs a re-hash
    return _persisted


def _save_persisted(new: dict[str, str]) -> None:
    target = persistent_cache_path()
    if target is None or not new:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        merged: dict[str, str] = {}
        if target.is_file():
            try:
                loaded = json.loads(target.read_text(encoding="utf-8"))
                merged = loaded if isinstance(loaded, dict) else {}
            except ValueError:
                merged = {}
        merged.update(new)
        if len(merged) > MAX_PERSISTED:
            merged = dict(list(merged.items())[-MAX_PERSISTED:])
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(merged), encoding="utf-8")
        os.replace(tmp, target)  # atomic: concurrent runs never see half a file
    except OSError:
        pass  # read-only home: fall back to per-process caching


def cached_file_sha256(path: Path, verify: bool = False) -> str:
    """sha256 of a file, from the per-process or persistent cache unless ``verify``."""
    key = _stat_key(path)
    if not verify:
        if key in _memo:
            return _memo[key]
        persisted = _load_persisted().get(key)
        if persisted is not None:
            _memo[key] = persisted
            return persisted
    digest = file_sha256(path)
    _memo[key] = digest
    _load_persisted()[key] = digest
    _save_persisted({key: digest})
    return digest


def _fingerprinted_files(root: Path, names: tuple[str, ...] | None) -> list[Path]:
    if root.is_file():
        return [root]
    files = [p for p in sorted(root.iterdir()) if p.is_file()]
    if names is not None:
        return [p for p in files if p.name in names]
    return [p for p in files if p.suffix in WEIGHT_SUFFIXES or p.name in CONFIG_NAMES]


def dir_fingerprint(root: str | Path, names: tuple[str, ...] | None = None, verify: bool = False) -> str:
    """Fingerprint of the weight and config files directly inside ``root`` (or of chosen file names).

    ``verify=True`` re-reads every byte (what promotion uses); otherwise unchanged files are not re-hashed.
    """
    root = Path(root).resolve()
    digest = hashlib.sha256()
    for path in _fingerprinted_files(root, names):
        digest.update(path.name.encode() + b"\0" + cached_file_sha256(path, verify).encode() + b"\n")
    return digest.hexdigest()


def tokenizer_fingerprint(root: str | Path) -> str:
    """Fingerprint of a saved tokenizer (its JSON files)."""
    names = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")
    return dir_fingerprint(root, names)
