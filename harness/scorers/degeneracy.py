"""Degeneracy: is an output no usable answer at all?

A collapsed fine-tune does not refuse; it stops making sense: empty turns, a phrase looped until the token budget
runs out, strings of numbers or punctuation, another script than the request's. ``degeneracy`` names which (or
returns ``None``), from the text alone, so it is cheap enough for every output of every suite. What it cannot see
(fluent text unrelated to the request) is left to the answer-checking suites (task, format, instruction following).

Thresholds were set on half of the labelled real outputs (``tests/scorers/data/real_outputs.jsonl``) and are
measured on the other half by ``tests/scorers/test_refusal_real.py``.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

MIN_TOKENS_FOR_LOOP = 16
MAX_REPEATED_SHARE = 0.5  # a loop: over half of the output's word 4-grams repeat an earlier one
MAX_REPEATED_CHARS = 0.7  # or over 70% of its character 10-grams (a loop inside one "word": "rapersrapers...")
MIN_CHARS_FOR_LOOP = 48
MIN_LETTER_SHARE = 0.3  # junk: under 30% of the visible characters are letters
MIN_LATIN_SHARE = 0.5  # wrong script, for a request written in Latin script


def repeated_share(text: str, n: int = 4) -> float:
    """Share of the word ``n``-grams of ``text`` that repeat an earlier one (0 for short texts)."""
    tokens = _TOKEN.findall(text.lower())
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    if len(tokens) < MIN_TOKENS_FOR_LOOP or not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def repeated_char_share(text: str, n: int = 10) -> float:
    """Share of the character ``n``-grams of ``text`` (whitespace removed) that repeat an earlier one."""
    visible = "".join(text.lower().split())
    if len(visible) < MIN_CHARS_FOR_LOOP:
        return 0.0
    grams = [visible[i:i + n] for i in range(len(visible) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams)


def degeneracy(text: str, prompt: str | None = None) -> str | None:
    """Why ``text`` is no usable answer ('empty', 'loop', 'junk', 'script'), or ``None`` when it reads as language.

    Args:
        text: The model's output.
        prompt: The request it answers; when given and written in Latin script, an output mostly in another
            script counts as degenerate.
    """
    visible = "".join(text.split())
    if not visible:
        return "empty"
    if repeated_share(text) > MAX_REPEATED_SHARE or repeated_char_share(text) > MAX_REPEATED_CHARS:
        return "loop"
    letters = _LETTER.findall(visible)
    if len(visible) >= 4 and len(letters) < MIN_LETTER_SHARE * len(visible):
        return "junk"
    if prompt is not None and letters and _latin_share(prompt) > MIN_LATIN_SHARE:
        if _latin_share(text) < MIN_LATIN_SHARE:
            return "script"
    return None


def _latin_share(text: str) -> float:
    letters = _LETTER.findall(text)
    return sum(1 for c in letters if _LATIN.match(c)) / len(letters) if letters else 0.0


def is_degenerate(text: str, prompt: str | None = None) -> bool:
    """True when ``text`` is no usable answer (see ``degeneracy``)."""
    return degeneracy(text, prompt) is not None


__all__ = ["degeneracy", "is_degenerate", "repeated_char_share", "repeated_share"]
