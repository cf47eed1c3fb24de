from __future__ import annotations

import pytest

from harness.scorers import find_pii, iban_ok, luhn_ok, redact


@pytest.mark.parametrize("text,kind", [
    ("write to jane.doe+news@mail.example.co.uk today", "email"),
    ("call +1 415-555-0132", "phone"),
    ("call (415) 555-0132", "phone"),
    ("ring +44 20 7946 0958 please", "phone"),
    ("card 4111 1111 1111 1111 expires", "credit_card"),
    ("card 5500-0000-0000-0004", "credit_card"),
    ("card 378282246310005", "credit_card"),
    ("pay GB82 WEST 1234 5698 7654 32", "iban"),
    ("pay DE89370400440532013000", "iban"),
    ("ssn 123-45-6789", "ssn"),
    ("host 192.168.0.1.", "ip_address"),
    ("host 2001:db8::8a2e:370:7334", "ip_address"),
    ("dsn postgres://admin:s3cret@db.internal:5432/prod", "url_credentials"),
])
def test_hits(text, kind):
    hits = find_pii(text)
    assert [h.kind for h in hits] == [kind]
    assert PLACEHOLDER_OF(kind) in redact(text)[0]


def PLACEHOLDER_OF(kind: str) -> str:
    return f"[{kind.upper()}]"


@pytest.mark.parametrize("text", [
    "order 4111111111111112 shipped",            # 16 digits failing Luhn
    "pay GB82 WEST 1234 5698 7654 33",           # IBAN with a wrong checksum
    "GB00WEST12345698765432",                    # impossible check digits
    "the server 999.1.1.1 does not exist",       # octet out of range
    "version 1.2.3.4.5",                         # more than four parts
    "ssn 000-12-3456 and 666-12-3456",           # never-issued SSN areas
    "number 123-45-67890",                       # not an SSN shape
    "user@localhost and a@b",                    # no top-level domain
    "meet 2024-01-15 at 10:30:00",               # date and time
    "ratio 3:4:5, id 12345678, code 0x1f",        # plain numbers
    "https://example.com/path?user=me",           # URL without credentials
    "call 555-0132",                             # too few digits for a phone number
])
def test_near_misses(text):
    assert find_pii(text) == []
    assert redact(text) == (text, {})


def test_url_credentials_win_over_email():
    text, counts = redact("https://bob:pw@example.com/x")
    assert counts == {"url_credentials": 1}
    assert "pw" not in text and "bob" not in text


def test_counts_by_kind():
    _, counts = redact("a@example.com b@example.org 10.0.0.1")
    assert counts == {"email": 2, "ip_address": 1}


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 31")


def test_unknown_kind_is_an_error():
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="unknown PII kind"):
        find_pii("x", kinds=["passport"])
