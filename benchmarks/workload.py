"""The benchmarks' workload: a ~8M-parameter Llama built from a config, random LoRA candidates over it, and
the task suite's own prompts. Everything is built offline in a temporary directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASK_DATA = REPO / "suites" / "data" / "task_eval.jsonl"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def task_corpus() -> list[str]:
    """Texts of the task eval set (to train the tokenizer on the domain)."""
    rows = [json.loads(line) for line in TASK_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [m["content"] for r in rows for m in r["messages"]] + [r["answer"] for r in rows]


def build_base(root: Path) -> Path:
    """A randomly initialised Llama (hidden 384, 6 layers, ~8M parameters) with a domain BPE tokenizer."""
    from harness.engine import build_tiny_model

    return build_tiny_model(root / "base", task_corpus(), hidden_size=384, layers=6, heads=6, vocab_size=2000)


def build_adapter(base: Path, out: Path, seed: int) -> Path:
    """A LoRA adapter with random non-zero weights: a candidate that answers differently from its base."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                        init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out, safe_serialization=True)
    return out


def task_prompts(tokenizer: object) -> list[str]:
    """The task suite's prompts, rendered with the production chat template."""
    from harness.engine import render_prompt
    from harness.evalsets import load_eval_set

    return [render_prompt(tokenizer, item.messages) for item in load_eval_set(TASK_DATA)]


def param_count(model: object) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())  # type: ignore[attr-defined]
