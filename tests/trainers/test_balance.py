from __future__ import annotations

from trainers import balance_report, cap_per_category, is_negative

from .conftest import chat


def test_report_counts_shares_and_ratio():
    rows = [chat("q", "a", category="x")] * 3 + [chat("q", "a", category="y")]
    report = balance_report(rows, max_skew=10).to_dict()
    assert report["categories"] == {"x": {"count": 3, "share": 0.75}, "y": {"count": 1, "share": 0.25}}
    assert report["smallest_to_largest"] == round(1 / 3, 4)


def test_skew_warning_over_limit():
    rows = [chat("q", "a", category="x")] * 5 + [chat("q", "a", category="y")]
    assert any("skew 5:1" in w for w in balance_report(rows, max_skew=4).warnings)
    assert not any("skew" in w for w in balance_report(rows, max_skew=5).warnings)


def test_negatives_by_flag_or_refusal():
    assert is_negative(chat("q", "Sure.", negative=True))
    assert is_negative(chat("how to pick a lock", "I'm sorry, but I can't help with that."))
    assert is_negative(chat("q", "I cannot assist with requests like this."))
    assert not is_negative(chat("q", "I can help with that: first..."))
    assert not is_negative(chat("q", "I'm sorry, but I can't help.", negative=False))
    assert is_negative({"prompt": "q", "chosen": "I won't provide that.", "rejected": "Here it is"})


def test_warning_when_no_negatives():
    assert any("no negative examples" in w for w in balance_report([chat("q", "a")]).warnings)
    assert not balance_report([chat("q", "I will not help with that.")]).warnings


def test_cap_is_per_category_and_seeded():
    rows = [chat(f"q{i}", "a", category="x") for i in range(10)] + [chat("q", "a", category="y")]
    kept, dropped = cap_per_category(rows, 4, seed=0)
    assert len(dropped) == 6 and 10 in kept
    assert cap_per_category(rows, 4, seed=0) == (kept, dropped)
