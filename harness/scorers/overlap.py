"""Text overlap: normalised words, n-grams, MinHash shingles, and the comparisons built on them.

The contamination check (``harness.scorers.contamination.ContaminationIndex``, shared by ``tunegate data prepare``
and the contamination suite) and the near-duplicate dedupe compare texts in these terms. ``find_overlap`` is the
earlier whole-text check (exact, n-gram, MinHash Jaccard), kept as the peer the contamination benchmark measures
against; ``rewordings`` keeps generated training requests apart from eval requests (examples/build_base.py).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise_text(text: str) -> str:
    """NFKC, lowercase, words only, single spaces: the form all overlap checks compare."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def words(text: str) -> list[str]:
    """Normalised word tokens."""
    return normalise_text(text).split()


_FUNCTION_WORDS = frozenset("how do i a an the to my of and in what is can me for with it that this on".split())


def _content_words(text: str) -> frozenset[str]:
    return frozenset(words(text)) - _FUNCTION_WORDS


@functools.lru_cache(maxsize=16)
def _indexed(references: tuple[str, ...]) -> tuple[list[frozenset[str]], dict[str, list[int]], list[int]]:
    """The references' content words, which references hold each word, and which hold none."""
    sets = [_content_words(r) for r in references]
    index: dict[str, list[int]] = defaultdict(list)
    for j, ref in enumerate(sets):
        for word in ref:
            index[word].append(j)
    return sets, dict(index), [j for j, ref in enumerate(sets) if not ref]


def rewordings(texts: Sequence[str], references: Sequence[str], threshold: float = 1 / 3) -> list[tuple[int, int]]:
    """``(i, j)`` pairs where ``texts[i]`` rewords ``references[j]``: the Jaccard similarity of the two short
    requests' content words (function words dropped) is above ``threshold`` (in [0, 1)). A rewording scores high
    even when no 13-gram is shared, so this keeps training requests apart from eval requests where
    ``find_overlap`` only catches copies. Only references sharing a word with the text are compared, and the
    references' words are indexed once per distinct reference list (the corpus generator asks one request at a
    time against the same thousand)."""
    refs, index, wordless = _indexed(tuple(references))
    pairs = []
    for i, text in enumerate(texts):
        x = _content_words(text)
        for j in sorted({j for word in x for j in index.get(word, ())}) if x else wordless:
            union = len(x | refs[j])
            if (len(x & refs[j]) / union if union else 1.0) > threshold:
                pairs.append((i, j))
    return pairs


def ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    """Word n-grams; a text shorter than n yields itself as one gram so short items can still match."""
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def text_sha256(text: str) -> str:
    """sha256 of the normalised text (exact-duplicate key)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = 3) -> set[str]:
    """Word k-shingles for MinHash (character 5-grams when the text has fewer than k words)."""
    tokens = words(text)
    if len(tokens) >= k:
        return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}
    flat = " ".join(tokens)
    return {flat[i : i + 5] for i in range(max(1, len(flat) - 4))}


def minhash(text: str, num_perm: int = 128, k: int = 3):  # type: ignore[no-untyped-def]
    """datasketch MinHash of a text's shingles."""
    from datasketch import MinHash

    mh = MinHash(num_perm=num_perm, seed=1)
    mh.update_batch([s.encode("utf-8") for s in shingles(text, k)])
    return mh


@dataclass
class OverlapReport:
    """Per eval item: which training rows overlap it and how."""

    exact: dict[str, list[int]] = field(default_factory=dict)
    ngram: dict[str, list[int]] = field(default_factory=dict)
    near: dict[str, list[int]] = field(default_factory=dict)

    def flagged(self) -> set[str]:
        """Eval ids with any kind of overlap."""
        return set(self.exact) | set(self.ngram) | set(self.near)

    def train_rows(self) -> set[int]:
        """Training row indexes involved in any overlap."""
        return {i for d in (self.exact, self.ngram, self.near) for rows in d.values() for i in rows}


def find_overlap(
    train_texts: Sequence[str],
    eval_items: Iterable[tuple[str, str]],
    *,
    n: int = 13,
    near_threshold: float | None = 0.85,
    num_perm: int = 128,
) -> OverlapReport:
    """Compare training texts with (eval id, eval text) pairs: exact normalised match, any shared word n-gram,
    and MinHash Jaccard above ``near_threshold`` (None disables the near-duplicate check)."""
    report = OverlapReport()
    by_hash: dict[str, list[int]] = {}
    gram_index: dict[tuple[str, ...], list[int]] = {}
    for i, text in enumerate(train_texts):
        by_hash.setdefault(text_sha256(text), []).append(i)
        for gram in ngrams(words(text), n):
            gram_index.setdefault(gram, []).append(i)
    lsh = None
    if near_threshold is not None:
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=near_threshold, num_perm=num_perm)
        for i, text in enumerate(train_texts):
            lsh.insert(str(i), minhash(text, num_perm))
    for eval_id, text in eval_items:
        hits = by_hash.get(text_sha256(text))
        if hits:
            report.exact[eval_id] = sorted(hits)
        gram_hits = sorted({i for gram in ngrams(words(text), n) for i in gram_index.get(gram, [])})
        if gram_hits:
            report.ngram[eval_id] = gram_hits
        if lsh is not None:
            near = sorted(int(key) for key in lsh.query(minhash(text, num_perm)))
            if near:
                report.near[eval_id] = near
    return report

