"""Personal data in free text: find and redact e-mail addresses, phone numbers, card numbers, IBANs, US SSNs,
IP addresses and URLs that carry credentials.

Patterns are deliberately precise: a candidate must also pass its checksum or range test (Luhn for cards, mod-97
for IBANs, octet range for IPv4, ``ipaddress`` for IPv6), so a 16-digit order number is not a card and 999.1.1.1
is not an address. Hits are reported as kinds and counts only; nothing here logs the matched text.
Shared by the data preparation (trainers) and, later, redaction of stored outputs (harness).
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

KINDS = ("url_credentials", "email", "iban", "credit_card", "ssn", "ip_address", "phone")
PLACEHOLDER = {kind: f"[{kind.upper()}]" for kind in KINDS}

_URL_CREDENTIALS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]+:[^\s/@]+@[^\s/?#]+")
_EMAIL = re.compile(r"(?<![\w.+%-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d-]|\.\d)")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# International numbers need their "+country" prefix; national ones the North American 3-3-4 shape with an
# area code in parentheses or one repeated separator. Bare digit groups ("1234 5678 90") are too ambiguous.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?(?:\d{1,4}[ .-]?){1,4}\d{2,4}"
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"
    r"|\d{3}([.-])\d{3}\1\d{4})(?![\w-]|\.\d)"
)


@dataclass(frozen=True)
class PiiHit:
    """One detected span: its kind and character offsets (the text itself is never kept)."""

    kind: str
    start: int
    end: int


def luhn_ok(digits: str) -> bool:
    """Luhn checksum of a digit string (card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    iban = text.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", match.group())
    separators = set(re.findall(r"[ -]", match.group()))
    return 13 <= len(digits) <= 19 and len(separators) <= 1 and luhn_ok(digits)


def _ipv6(match: re.Match[str]) -> bool:
    text = match.group()
    if text.count(":") < 2 or sum(c.isalnum() for c in text) < 2:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _phone(match: re.Match[str]) -> bool:
    digits = sum(c.isdigit() for c in match.group())
    return 10 <= digits <= 15


def _always(match: re.Match[str]) -> bool:
    return True


def _has(*needles: str) -> Callable[[str], bool]:
    return lambda text: any(n in text for n in needles)


# (kind, pattern, checksum/range test, cheap substring pre-test that every hit needs: skips the regex scan
# of texts that cannot contain the kind, which is most of them)
_DETECTORS: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool], Callable[[str], bool]]] = [
    ("url_credentials", _URL_CREDENTIALS, _always, _has("://")),
    ("email", _EMAIL, _always, _has("@")),
    ("iban", _IBAN, lambda m: iban_ok(m.group()), lambda t: True),
    ("credit_card", _CARD, _card, lambda t: True),
    ("ssn", _SSN, _always, _has("-")),
    ("ip_address", _IPV4, _always, _has(".")),
    ("ip_address", _IPV6, _ipv6, lambda t: t.count(":") >= 2),
    ("phone", _PHONE, _phone, _has("+", "(", "-", ".")),
]


def find_pii(text: str, kinds: Iterable[str] = KINDS) -> list[PiiHit]:
    """Non-overlapping PII spans in text order; earlier kinds in ``KINDS`` win overlaps (a URL's password is
    not also an e-mail address)."""
    wanted = set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        from harness.errors import HarnessError

        raise HarnessError(f"unknown PII kind(s) {sorted(unknown)}; use some of {list(KINDS)}")
    hits: list[PiiHit] = []
    for kind, pattern, valid, may_hold in _DETECTORS:
        if kind not in wanted or not may_hold(text):
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            if valid(match) and not any(h.start < end and start < h.end for h in hits):
                hits.append(PiiHit(kind, start, end))
    return sorted(hits, key=lambda h: h.start)


def redact(text: str, kinds: Iterable[str] = KINDS) -> tuple[str, Counter[str]]:
    """Replace each PII span with a ``[KIND]`` placeholder; return the new text and counts by kind."""
    hits = find_pii(text, kinds)
    counts: Counter[str] = Counter(h.kind for h in hits)
    if not hits:
        return text, counts
    parts: list[str] = []
    last = 0
    for hit in hits:
        parts.append(text[last : hit.start])
        parts.append(PLACEHOLDER[hit.kind])
        last = hit.end
    parts.append(text[last:])
    return "".join(parts), counts
