from __future__ import annotations

from trainers import exact_duplicates, near_duplicates, normalise_content, signatures, similar_pairs

TEXT = ("The patient presented with acute chest pain radiating to the left arm, shortness of breath and "
        "sweating; the electrocardiogram showed ST elevation in the inferior leads, troponin was raised, and "
        "the team started dual antiplatelet therapy before transfer to the catheter laboratory for an urgent "
        "coronary angiogram and primary percutaneous intervention of the right coronary artery")


def test_normalisation_keeps_meaning():
    code = "def f(x):\r\n    return  x   \r\n\r\n\r\n\r\nprint(f(1))\ufeff"
    assert normalise_content(code) == "def f(x):\n    return  x\n\nprint(f(1))"
    assert normalise_content("Cafe\u0301") == "Café"          # NFC composes, does not fold
    assert normalise_content("x² ＡＢ") == "x² ＡＢ"            # no NFKC compatibility folding
    assert normalise_content("Keep CASE") == "Keep CASE"


def test_exact_duplicates_ignore_case_punctuation_and_spacing():
    texts = ["Hello, world!", "hello world", "HELLO   WORLD.", "goodbye world"]
    assert exact_duplicates(texts) == {1: 0, 2: 0}


def _near(texts, threshold=0.85):
    return near_duplicates(len(texts), similar_pairs(signatures(texts), threshold))


def test_light_paraphrase_is_a_near_duplicate():
    edited = (TEXT.replace("acute chest pain", "Acute chest pain,").replace("sweating", "sweats")
              + " today")
    assert _near([TEXT, edited]) == {1: 0}


def test_heavier_paraphrase_is_caught_at_a_lower_threshold():
    edited = (TEXT.replace("presented with", "arrived with").replace("was raised", "was elevated")
              .replace("urgent", "emergency"))
    assert _near([TEXT, edited], 0.85) == {}
    assert _near([TEXT, edited], 0.6) == {1: 0}


def test_distinct_texts_are_not_near_duplicates():
    other = ("Quarterly revenue grew by twelve percent, driven by subscriptions in the enterprise segment, while "
             "churn fell and the board approved a buyback of shares over the next two fiscal years")
    assert _near([TEXT, other, TEXT.split(";")[1]]) == {}


def test_clusters_keep_the_first_row_as_representative():
    a = TEXT
    b = TEXT + " again"
    c = "again " + TEXT + " again"
    assert _near([a, "unrelated text about the weather in the mountains this week", b, c]) == {2: 0, 3: 0}


def test_bulk_signatures_match_the_harness_minhash():
    import numpy as np

    from harness.scorers import minhash

    texts = [TEXT, "short"]
    assert all(np.array_equal(sig.hashvalues, minhash(t).hashvalues) for sig, t in zip(signatures(texts), texts, strict=True))
