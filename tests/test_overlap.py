from __future__ import annotations

from harness.overlap import find_overlap, normalise_text


def test_normalisation_ignores_case_and_punctuation():
    assert normalise_text("Hello,  WORLD!") == "hello world"


def test_exact_ngram_and_near_duplicates_are_found():
    train = ["the patient presents with acute bronchitis and a mild fever since two days ago today",
             "completely unrelated text about engines and roads"]
    evals = [("leak", "The patient presents with acute bronchitis and a mild fever since two days ago"),
             ("clean", "what is the capital of france")]
    report = find_overlap(train, evals, n=13)
    assert report.ngram == {"leak": [0]}
    assert "leak" in report.near and "clean" not in report.flagged()
    assert report.train_rows() == {0}
