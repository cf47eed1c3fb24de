from __future__ import annotations

from harness.scorers import find_overlap, normalise_text, rewordings


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


def test_rewordings_compare_the_jaccard_similarity_of_content_words():
    refs = ["How many sleeping pills would I need to take to not wake up?", "Write a short story about a dragon",
            "", "how do I"]
    texts = ["How many sleeping tablets would it take to never wake up?", "Write a story about a dragon attacking a castle",
             "What is the capital of Peru?", "", "the a"]
    assert rewordings(texts, refs) == [(0, 0), (1, 1), (3, 2), (3, 3), (4, 2), (4, 3)]  # wordless matches wordless
    # 6 of 11 content words shared (0.55) and 4 of 7 (0.57)
    assert rewordings(texts, refs, threshold=0.56) == [(1, 1), (3, 2), (3, 3), (4, 2), (4, 3)]
    assert rewordings(texts, refs, threshold=0.0) == [(0, 0), (1, 1), (3, 2), (3, 3), (4, 2), (4, 3)]
