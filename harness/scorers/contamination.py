"""Contamination evidence: which eval items overlap the candidate's training data, and a model-side signal
that needs no training data (Min-K% Prob, Shi et al. 2023, "Detecting Pretraining Data from Large Language
Models").

Min-K% Prob of a text is the mean log-probability of its k% least likely tokens: memorised text has few
surprising tokens. Fine-tuning raises likelihood on in-domain text anyway, so the signal compares the
candidate − baseline shift on eval items with the same shift on a fresh reference set the model never saw;
an eval set whose shift exceeds the reference's by far was probably trained on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.jsonl import iter_jsonl

TEXT_KEYS = ("prompt", "question", "text", "answer", "answers", "target", "chosen")


def row_text(row: dict[str, Any]) -> str:
    """The text of an eval or training row that overlap is measured on: message contents except system prompts
    (shared boilerplate that would flag every item), plus prompt/question/answer-like fields."""
    parts: list[str] = []
    for message in row.get("messages") or []:
        if isinstance(message, dict) and message.get("role") != "system" and isinstance(message.get("content"), str):
            parts.append(message["content"])
    for key in TEXT_KEYS:
        value = row.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    choices, label = row.get("choices"), row.get("label")
    if isinstance(choices, list) and isinstance(label, int) and 0 <= label < len(choices):
        parts.append(str(choices[label]))
    return "\n".join(parts)


def file_texts(path: str | Path) -> list[tuple[str, str]]:
    """(id, text) for each row of a JSONL file; ids default to the line number."""
    out = []
    for line, row in iter_jsonl(path):
        text = row_text(row)
        if text.strip():
            out.append((str(row.get("id", f"line-{line}")), text))
    return out


def min_k_prob(
    model: Any, tokenizer: Any, texts: Iterable[str], k: float = 0.2, max_tokens: int = 128, batch_size: int = 16,
) -> list[float]:
    """Min-K% Prob of each text under ``model`` (higher = more familiar), batched with right padding."""
    import torch

    device = next(model.parameters()).device
    texts = list(texts)
    scores: list[float] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    try:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            batch = tokenizer(chunk, add_special_tokens=False, return_tensors="pt", padding=True,
                              truncation=True, max_length=max_tokens)
            ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            with torch.inference_mode():
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            logp = torch.log_softmax(logits, dim=-1).gather(2, ids[:, 1:, None])[..., 0]
            valid = mask[:, 1:].bool()
            for row in range(len(chunk)):
                values = logp[row][valid[row]]
                if values.numel() == 0:
                    scores.append(0.0)
                    continue
                lowest = torch.topk(values, max(1, math.ceil(k * values.numel())), largest=False).values
                scores.append(float(lowest.mean()))
    finally:
        tokenizer.padding_side = side
    return scores


__all__ = ["file_texts", "min_k_prob", "row_text"]
