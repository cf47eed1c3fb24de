"""Tiny offline models for tests and demos: a byte-level BPE tokenizer trained on the spot and a
Llama-architecture model built from a config. Nothing touches the network."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.engine.template import CHAT_TEMPLATE, SPECIAL_TOKENS

_DEFAULT_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Assign the ICD-10 code for the clinical description.",
    "Patient presents with acute bronchitis and fever.",
    "I cannot help with that request.",
    "0 1 2 3 4 5 6 7 8 9 + - * / = answer code category",
    "system user assistant summarise translate ignore previous instructions",
]


def build_tokenizer(corpus: Iterable[str] = (), vocab_size: int = 512) -> Any:
    """Train a byte-level BPE tokenizer on ``corpus`` and wrap it as a fast HF tokenizer with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = list(corpus) or _DEFAULT_CORPUS
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token=None,
        model_max_length=512,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    return tokenizer


def build_tiny_model(
    out_dir: str | Path,
    corpus: Iterable[str] = (),
    *,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    vocab_size: int = 512,
    max_positions: int = 512,
    seed: int = 0,
) -> Path:
    """Build and save (safetensors) a randomly initialised tiny Llama with its tokenizer; return the directory."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(out_dir)
    tokenizer = build_tokenizer(corpus, vocab_size=vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
