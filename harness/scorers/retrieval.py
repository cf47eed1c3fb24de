"""BM25 retrieval of few-shot examples from training data, for the prompting baseline."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from harness.scorers.overlap import words


class BM25:
    """Okapi BM25 over word tokens (harness.scorers.overlap.words normalisation); k1 and b as in Robertson et al."""

    def __init__(self, documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = [Counter(words(d)) for d in documents]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df: Counter[str] = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        """BM25 score of every document for ``query``."""
        terms = words(query)
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg or 1.0))
            out.append(sum(self.idf.get(t, 0.0) * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if t in doc))
        return out

    def top(self, query: str, k: int) -> list[int]:
        """Indexes of the ``k`` best documents (ties broken by position, so retrieval is deterministic)."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda x: (-x[1], x[0]))
        return [i for i, _ in ranked[:k]]


__all__ = ["BM25"]
