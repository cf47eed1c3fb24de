"""Minimal PII redaction of stored per-example text (e-mail addresses, phone numbers, payment card numbers).

Used when the policy says ``[gate] redact_pii = true``: prompts, outputs and references are redacted before
they reach the results database. Deliberately small and self-contained; a fuller redactor can replace
:func:`redact_text` without touching its callers.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{7,}\d(?![\w])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def redact_text(text: str | None) -> str | None:
    """``text`` with e-mails, card numbers (Luhn-valid) and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = EMAIL.sub("[EMAIL]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(lambda m: "[PHONE]" if sum(c.isdigit() for c in m.group(0)) >= 9 else m.group(0), text)
