"""Scorers: pure functions that turn model outputs (or training data) into per-example scores: refusal,
degeneracy (collapse), prompt injection, contamination, formats, latency, retrieval, answer matching, text overlap
and PII."""

from harness.scorers.contamination import file_texts, min_k_prob, row_text
from harness.scorers.degeneracy import degeneracy, is_degenerate, repeated_share
from harness.scorers.formats import matches_format, prefix_consistent
from harness.scorers.injection import FAMILIES, canary_leaked
from harness.scorers.latency import measure, merged_copy
from harness.scorers.overlap import find_overlap, minhash, normalise_text, rewordings, shingles, text_sha256
from harness.scorers.pii import find_pii, iban_ok, luhn_ok, redact
from harness.scorers.refusal import is_refusal, opening
from harness.scorers.retrieval import BM25
from harness.scorers.scoring import exact_match, normalised_match

__all__ = [
    "BM25", "FAMILIES", "canary_leaked", "degeneracy", "exact_match", "file_texts", "find_overlap", "find_pii",
    "iban_ok", "is_degenerate", "is_refusal", "luhn_ok", "matches_format", "measure", "merged_copy",
    "min_k_prob", "minhash", "normalise_text", "normalised_match", "opening", "prefix_consistent", "redact",
    "repeated_share", "rewordings", "row_text", "shingles", "text_sha256",
]
