"""Scorers: pure functions that turn model outputs (or training data) into per-example scores: refusal,
degeneracy (collapse), prompt injection, contamination (and perturbed eval copies to measure it with), formats,
latency, retrieval, answer matching, text overlap and PII."""

from harness.scorers.contamination import (
    METHODS,
    ContaminationHits,
    ContaminationIndex,
    EvalText,
    eval_items,
    file_items,
    file_texts,
    min_k_prob,
    prompt_text,
    row_parts,
    row_text,
)
from harness.scorers.degeneracy import degeneracy, is_degenerate, repeated_share
from harness.scorers.formats import matches_format, prefix_consistent
from harness.scorers.injection import FAMILIES, canary_leaked
from harness.scorers.latency import measure, merged_copy
from harness.scorers.overlap import find_overlap, minhash, normalise_text, rewordings, shingles, text_sha256
from harness.scorers.perturb import (
    EDIT_KINDS,
    KINDS,
    answer_of,
    chat_row,
    false_positives,
    held_out_rows,
    measure_recall,
    perturb,
    perturbed_rows,
)
from harness.scorers.pii import find_pii, iban_ok, luhn_ok, redact
from harness.scorers.refusal import is_refusal, opening
from harness.scorers.retrieval import BM25
from harness.scorers.scoring import exact_match, normalised_match

__all__ = [
    "BM25", "ContaminationHits", "ContaminationIndex", "EDIT_KINDS", "EvalText", "FAMILIES", "KINDS", "METHODS",
    "answer_of", "canary_leaked", "chat_row", "degeneracy", "eval_items", "exact_match", "false_positives", "file_items",
    "file_texts", "find_overlap", "find_pii", "held_out_rows", "iban_ok", "is_degenerate", "is_refusal", "luhn_ok", "matches_format",
    "measure", "measure_recall", "merged_copy", "min_k_prob", "minhash", "normalise_text", "normalised_match",
    "opening", "perturb", "perturbed_rows", "prefix_consistent", "prompt_text", "redact", "repeated_share",
    "rewordings", "row_parts", "row_text", "shingles", "text_sha256",
]
