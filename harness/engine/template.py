"""The production chat template and how renderings are fingerprinted.

The template carries ``{% generation %}`` markers so trl can mask everything but assistant turns
(assistant-only loss); inference renders the same template with ``add_generation_prompt=True``,
which is a strict prefix of the training rendering of the same conversation.
"""

from __future__ import annotations

import hashlib
from typing import Any

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "<|im_start|>assistant\n{% generation %}{{ message['content'] }}<|im_end|>{% endgeneration %}{{ '\\n' }}"
    "{% else %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]


def template_sha256(tokenizer: Any) -> str:
    """sha256 of the tokenizer's chat template text ('' when it has none)."""
    template = getattr(tokenizer, "chat_template", None) or ""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """Render the conversation up to the assistant's turn exactly as inference sees it."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return str(text)
