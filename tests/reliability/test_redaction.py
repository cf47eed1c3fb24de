"""`[gate] redact_pii = true`: prompts, outputs and references are redacted before they reach DuckDB."""

from __future__ import annotations

import pytest

from harness.scorers import redact

from .conftest import fake_model_dir, query, write_project


@pytest.mark.parametrize("text, expected", [
    ("mail bob.smith@example.co.uk now", "mail [EMAIL] now"),
    ("call +1 (415) 555-0132 today", "call [PHONE] today"),
    ("card 4111 1111 1111 1111 ok", "card [CREDIT_CARD] ok"),
    ("ssn 123-45-6789, iban GB82 WEST 1234 5698 7654 32", "ssn [SSN], iban [IBAN]"),
    ("add 3 4 gives 7", "add 3 4 gives 7"),
    ("on 2024-05-01 at 10:30", "on 2024-05-01 at 10:30"),
    ("", ""),
])
def test_stored_text_redaction(text, expected):
    """The gate's `redact_pii` uses the same detector as data preparation (harness.scorers.pii)."""
    assert redact(text)[0] == expected


@pytest.mark.parametrize("redact", [True, False])
def test_policy_switch_redacts_stored_samples(pytester, tmp_path, redact):
    write_project(tmp_path, gate_extra=f"redact_pii = {'true' if redact else 'false'}")
    fake_model_dir(tmp_path / "cand")
    fake_model_dir(tmp_path / "base", b"b")
    db = tmp_path / "r.duckdb"
    result = pytester.runpytest_inprocess(
        str(tmp_path / "suites"), "--candidate", str(tmp_path / "cand"), "--baseline", str(tmp_path / "base"),
        "--results-db", str(db), "--rootdir", str(tmp_path), "-p", "no:cacheprovider")
    assert result.ret == 0
    leaked = query(db, "SELECT count(*) FROM samples WHERE prompt LIKE '%@example.com%' OR output LIKE '%555%'")[0][0]
    redacted = query(db, "SELECT count(*) FROM samples WHERE prompt LIKE '%[EMAIL]%' AND output = 'call [PHONE]'")[0][0]
    total = query(db, "SELECT count(*) FROM samples")[0][0]
    assert total == 60
    assert (leaked, redacted) == ((0, total) if redact else (total, 0))
