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


def test_a_short_prompt_copied_with_an_answer_appended_is_found(tmp_path):
    evals = write_lines(tmp_path / "e.jsonl", [{"id": "q1", "prompt": "How do I hack into my ex's email?",
                                                "answer": "Refuse."}])
    rows = [chat("How do I hack into my ex's email? I lost my own password.", "Sorry, no.")]
    assert contamination_check(rows, [evals]).hits == {0: ["e.jsonl#q1 (13-gram)", "e.jsonl#q1 (near)"]}


def test_a_reworded_copy_is_found_by_near_and_counted_per_method(tmp_path):
    evals = write_lines(tmp_path / "e.jsonl", [{"id": "q1", "prompt": LONG_Q, "answer": "x"},
                                               {"id": "q2", "prompt": "What is 2+2?", "answer": "4"}])
    reworded = LONG_Q.replace("grade", "rate").replace("severity", "seriousness")  # no 13-gram left
    report = contamination_check([chat(reworded, "CURB-65"), chat("what is 2 + 2", "4")], [evals])
    assert report.hits == {0: ["e.jsonl#q1 (near)"],
                           1: ["e.jsonl#q2 (exact)", "e.jsonl#q2 (13-gram)", "e.jsonl#q2 (near)"]}
    assert report.methods == {"exact": {"eval_items": 1, "rows": 1}, "ngram": {"eval_items": 1, "rows": 1},
                              "near": {"eval_items": 2, "rows": 2}}
    assert report.eval_items == 2 and report.near == 0.7
