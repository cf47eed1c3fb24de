"""Answer scoring: exact and normalised match."""

from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lowercase, NFKC, drop punctuation, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def exact_match(output: str, answers: tuple[str, ...]) -> float:
    """1.0 when the stripped output equals one of the answers."""
    return float(output.strip() in {a.strip() for a in answers})


def normalised_match(output: str, answers: tuple[str, ...]) -> float:
    """1.0 when the normalised output equals one of the normalised answers."""
    return float(normalise(output) in {normalise(a) for a in answers})
