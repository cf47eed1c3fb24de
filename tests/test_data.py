from __future__ import annotations

import pytest

from harness.errors import DataError
from trainers.data import load_chat


@pytest.mark.parametrize("line,fault", [
    ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}', "invalid JSON"),
    ('{"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "yo"}]}', "role = 'robot'"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', "no assistant turn"),
    ('{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "yo"}]}', "empty"),
    ('{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}, {"role": "assistant", "content": "yo"}]}', "system turn"),
    ('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}', "does not end"),
])
def test_bad_chat_row_names_file_and_line(tmp_path, line, fault):
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}'
    path = tmp_path / "train.jsonl"
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=fault) as info:
        load_chat(path)
    assert str(info.value).startswith(f"{path}:2:")


def test_bad_utf8_names_line(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"messages": []}\n'[:0] + b'\xff\xfe\n')
    with pytest.raises(DataError, match=":1: invalid UTF-8"):
        load_chat(path)
