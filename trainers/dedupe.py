"""Meaning-preserving normalisation, exact dedupe and MinHash-LSH near-duplicate clustering of training rows.

Texts are compared the way ``harness.scorers.overlap`` compares them (its ``normalise_text`` for the exact key, its
``shingles`` and MinHash seed for near duplicates), so the trainer and the contamination suite agree on what
"the same text" means. Near-duplicate candidates come from an LSH index built at a threshold below the one
asked for, then every candidate pair is verified on its MinHash Jaccard estimate; that keeps LSH's misses of
pairs just above the threshold rare.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.scorers import shingles, text_sha256

_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUN = re.compile(r"\n{3,}")
MINHASH_SEED = 1  # the seed harness.scorers.overlap.minhash uses: signatures are interchangeable with its own


def normalise_content(text: str) -> str:
    """NFC, no byte-order mark, LF line ends, no trailing spaces, at most one blank line in a row, trimmed.

    NFC (not NFKC) and no case or inner-space changes, so code, math and formatting keep their meaning.
    """
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUN.sub("\n\n", text).strip()


def map_contents(row: dict[str, Any], fn: Any) -> dict[str, Any]:
    """A copy of a chat or preference row with ``fn`` applied to every text it carries."""
    out = dict(row)
    for key in ("messages", "chosen", "rejected"):
        value = row.get(key)
        if isinstance(value, list):
            out[key] = [{**m, "content": fn(m["content"])} for m in value]
        elif isinstance(value, str):
            out[key] = fn(value)
    if isinstance(row.get("prompt"), str):
        out["prompt"] = fn(row["prompt"])
    return out


def normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row with every text normalised by ``normalise_content``."""
    return map_contents(row, normalise_content)


def _side(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "\n".join(m["content"] for m in value)


def row_text(row: dict[str, Any]) -> str:
    """All of a row's text with role tags, the form dedupe and contamination compare."""
    parts: list[str] = []
    if isinstance(row.get("prompt"), str):
        parts.append(f"user: {row['prompt']}")
    for message in row.get("messages", []):
        parts.append(f"{message['role']}: {message['content']}")
    for key in ("chosen", "rejected"):
        if key in row:
            parts.append(f"{key}: {_side(row[key])}")
    return "\n".join(parts)


def prompt_text(row: dict[str, Any]) -> str:
    """Only the non-assistant side of a row (what an eval prompt would be compared with)."""
    if isinstance(row.get("prompt"), str):
        return str(row["prompt"])
    return "\n".join(m["content"] for m in row.get("messages", []) if m["role"] != "assistant")


def exact_duplicates(texts: Sequence[str]) -> dict[int, int]:
    """Map each repeated text's index to the index of its first occurrence (normalised-text sha256)."""
    first: dict[str, int] = {}
    dups: dict[int, int] = {}
    for i, text in enumerate(texts):
        key = text_sha256(text)
        if key in first:
            dups[i] = first[key]
        else:
            first[key] = i
    return dups


def signatures(texts: Sequence[str], num_perm: int = 128, k: int = 3) -> list[Any]:
    """MinHash signatures of the texts' shingles, built in bulk (one permutation table for all)."""
    from datasketch import MinHash

    shingle_sets = [[s.encode("utf-8") for s in shingles(text, k)] for text in texts]
    return list(MinHash.bulk(shingle_sets, num_perm=num_perm, seed=MINHASH_SEED))


def similar_pairs(sigs: Sequence[Any], threshold: float, num_perm: int = 128) -> list[tuple[int, int, float]]:
    """All pairs (i < j) whose estimated Jaccard is at least ``threshold``, with the estimate."""
    from datasketch import MinHashLSH

    if not 0.0 < threshold <= 1.0:
        from harness.errors import HarnessError

        raise HarnessError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    lsh = MinHashLSH(threshold=max(0.3, threshold - 0.15), num_perm=num_perm)
    values = np.stack([s.hashvalues for s in sigs]) if sigs else np.zeros((0, num_perm), dtype=np.uint64)
    pairs: list[tuple[int, int, float]] = []
    for j, sig in enumerate(sigs):
        candidates = lsh.query(sig)
        if candidates:
            idx = np.fromiter(candidates, dtype=np.int64)
            jacc = (values[idx] == values[j]).mean(axis=1)
            pairs.extend((int(i), j, float(s)) for i, s in zip(idx, jacc, strict=True) if s >= threshold)
        lsh.insert(j, sig)
    return sorted(pairs)


def cluster_roots(n: int, pairs: Sequence[tuple[int, int, float]]) -> list[int]:
    """Connected components of the pair graph: each index's root is the smallest index of its component."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(n)]


def near_duplicates(n: int, pairs: Sequence[tuple[int, int, float]]) -> dict[int, int]:
    """Map each member of a near-duplicate cluster to its representative (the cluster's first row), which stays.

    Clusters are connected components, so a chain a~b~c keeps only a even if a and c are further apart.
    """
    roots = cluster_roots(n, pairs)
    return {i: root for i, root in enumerate(roots) if root != i}
