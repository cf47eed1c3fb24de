"""Chat rows: after an optional system turn, user and assistant alternate, starting with the user; every JSONL
reader accepts a UTF-8 byte-order mark and CRLF line ends."""

from __future__ import annotations

import json

import pytest

from harness.errors import DataError
from harness.evalsets import load_eval_set
from harness.jsonl import read_jsonl
from trainers.data import load_chat, validate_chat
from trainers.validate import read_records

SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello."}


@pytest.mark.parametrize(("messages", "fault"), [
    ([ASSISTANT], "the first turn is 'assistant'"),
    ([SYSTEM, ASSISTANT], "the first turn is 'assistant'"),
    ([USER, USER, ASSISTANT], "messages\\[1\\] is 'user'"),
    ([USER, ASSISTANT, ASSISTANT], "messages\\[2\\] is 'assistant'"),
    ([USER, {"role": "tool", "content": "{}"}, ASSISTANT], "messages\\[1\\].role = 'tool'"),
])
def test_turns_out_of_order_are_refused_naming_file_and_line(messages, fault):
    with pytest.raises(DataError, match=f"train.jsonl:7: {fault}"):
        validate_chat("train.jsonl", 7, {"messages": messages})


@pytest.mark.parametrize("messages", [[USER, ASSISTANT], [SYSTEM, USER, ASSISTANT], [USER, ASSISTANT, USER, ASSISTANT]])
def test_alternating_turns_pass(messages):
    assert validate_chat("train.jsonl", 1, {"messages": messages})["messages"] == messages


def test_bom_and_crlf_are_read_by_every_jsonl_reader(tmp_path):
    chat = tmp_path / "chat.jsonl"
    chat.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(json.dumps({"messages": [USER, ASSISTANT]}) for _ in range(2)).encode())
    assert len(read_jsonl(chat)) == 2 and len(load_chat(chat)) == 2
    records, faults = read_records([chat])
    assert len(records) == 2 and not faults
    evals = tmp_path / "eval.jsonl"
    evals.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "prompt": "2+2?", "answer": "4"}).encode() + b"\r\n")
    assert load_eval_set(evals)[0].answers == ("4",)


def test_a_bom_inside_the_file_is_still_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n\xef\xbb\xbf{"a": 2}\n')
    with pytest.raises(DataError, match="x.jsonl:2: invalid JSON"):
        read_jsonl(path)
