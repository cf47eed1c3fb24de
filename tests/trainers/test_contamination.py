from __future__ import annotations

from trainers import contamination_check

from .conftest import chat, write_lines

LONG_Q = "list the three criteria used to grade the severity of community acquired pneumonia in adults today"


def test_exact_match_of_a_short_prompt(tmp_path):
    evals = write_lines(tmp_path / "e.jsonl", [{"id": "q1", "prompt": "What is 2+2?", "answer": "4"}])
    report = contamination_check([chat("what is 2 + 2", "4"), chat("what is 3+3?", "6")], [evals])
    assert list(report.hits) == [0]
    assert "e.jsonl#q1 (exact)" in report.hits[0]


def test_shared_ngram_inside_a_longer_row(tmp_path):
    evals = write_lines(tmp_path / "e.jsonl", [{"id": "q1", "prompt": LONG_Q, "answer": "x"}])
    rows = [chat(f"Background first. {LONG_Q.upper()}, please.", "CURB-65"), chat("unrelated question", "no")]
    report = contamination_check(rows, [evals])
    assert list(report.hits) == [0] and "13-gram" in report.hits[0][0]


def test_ngram_size_is_configurable(tmp_path):
    evals = write_lines(tmp_path / "e.jsonl", [{"id": "q1", "prompt": LONG_Q, "answer": "x"}])
    rows = [chat("the three criteria used to grade the severity of something else entirely", "a")]
    assert not contamination_check(rows, [evals], n=13).hits
    assert contamination_check(rows, [evals], n=8).hits == {0: ["e.jsonl#q1 (8-gram)"]}
