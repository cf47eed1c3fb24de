"""Format consistency checks: the chat template in use, training vs inference rendering, declared output formats."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.errors import HarnessError


def prefix_consistent(train_tokenizer: Any, infer_tokenizer: Any, messages: list[dict[str, str]]) -> bool:
    """True when the training rendering of a conversation (``train_tokenizer``'s template, all turns) extends the
    inference rendering of its prompt (``infer_tokenizer``'s template, up to the last assistant turn) exactly:
    what the model saw before each answer in training is what it will see in production."""
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
    if last is None:
        return True
    prompt = infer_tokenizer.apply_chat_template(messages[:last], tokenize=False, add_generation_prompt=True)
    full = train_tokenizer.apply_chat_template(messages[: last + 1], tokenize=False)
    return bool(str(full).startswith(str(prompt))) and len(str(full)) > len(str(prompt))


def matches_format(output: str, *, regex: str | None = None, schema: dict[str, Any] | None = None) -> bool:
    """Does ``output`` fully match the declared regex, or parse as JSON valid under the JSON schema?"""
    if regex is not None:
        try:
            return re.fullmatch(regex, output, flags=re.DOTALL) is not None
        except re.error as exc:
            raise HarnessError(f"format_regex {regex!r}: invalid regular expression: {exc}") from None
    if schema is not None:
        import jsonschema

        try:
            jsonschema.validate(json.loads(output), schema)
        except (json.JSONDecodeError, jsonschema.ValidationError):
            return False
        except jsonschema.SchemaError as exc:
            raise HarnessError(f"json_schema: invalid schema: {exc.message}") from None
        return True
    raise ValueError("give regex or schema")


__all__ = ["matches_format", "prefix_consistent"]
