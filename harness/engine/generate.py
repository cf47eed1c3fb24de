"""Batched greedy generation: prompts sorted by length, left padding, results back in input order.

Batches are planned from token counts, not a fixed row count: consecutive prompts of the length-sorted list
share a batch while ``rows x (longest prompt + max_new_tokens)`` stays inside a token budget, so short prompts
travel in big batches and long ones in small batches. The budget is memory over the KV-cache bytes a token
takes: free accelerator memory on GPUs, ``CPU_BATCH_BYTES`` on CPU; an explicit ``batch_size`` caps rows.
Greedy decoding runs its own loop over the KV cache (the forward passes ``model.generate`` makes) and drops a
row from the batch as soon as it ends (EOS, a stop string in its text, ``max_new_tokens``): ``model.generate``
and lm-eval's HF backend keep computing finished rows until the batch's longest one ends. A model whose
generation config asks for anything beyond plain greedy (penalties, forced or suppressed tokens, beams) and
sampled decoding go through ``model.generate`` instead, stop strings ending a row there. Either way the returned
text is cut at the first stop string.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

CPU_BATCH_BYTES = 2 << 30
"""KV cache and activations one generation batch may take on CPU."""
MAX_BATCH_ROWS = 256


@dataclass(frozen=True)
class Generation:
    """One model output with its cost (``cached``: served from the generation cache, not recomputed)."""

    text: str
    new_tokens: int
    latency_ms: float
    cached: bool = False


@dataclass(frozen=True)
class DecodingParams:
    """Decoding settings; every field is part of the generation cache key."""

    max_new_tokens: int = 32
    do_sample: bool = False
    stop: tuple[str, ...] = field(default_factory=tuple)

    def key_parts(self) -> dict[str, Any]:
        """The canonical form hashed into cache keys."""
        return {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample, "stop": list(self.stop)}


def token_budget(model: Any, max_rows: int = MAX_BATCH_ROWS) -> int:
    """Tokens one batch may hold: the KV-cache size per token into half the free CUDA memory, or on CPU into
    ``CPU_BATCH_BYTES`` (at most a quarter of the available RAM)."""
    import torch

    device = next(model.parameters()).device
    config = getattr(model, "config", None)
    layers = int(getattr(config, "num_hidden_layers", 32))
    hidden = int(getattr(config, "hidden_size", 4096))
    heads = int(getattr(config, "num_attention_heads", 32))
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    dtype_bytes = next(model.parameters()).element_size()
    # K and V per layer, plus activations of the same order; halve free memory for fragmentation and logits.
    per_token = 2 * layers * kv_heads * (hidden // heads) * dtype_bytes + 8 * hidden * dtype_bytes
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        budget = 0.5 * free
    else:
        # decoding on CPU is bound by reading the weights once a step, so a batch should be as wide as memory allows
        budget = min(CPU_BATCH_BYTES, _available_ram() // 4)
    return max(512, min(int(budget / per_token), max_rows * 4096))


def _available_ram() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * CPU_BATCH_BYTES


def plan_batches(lengths: Sequence[int], extra_tokens: int, budget: int, max_rows: int) -> list[list[int]]:
    """Index batches over ``lengths`` sorted longest first, each within ``budget`` padded tokens and ``max_rows``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = (lengths[current[0]] if current else lengths[i]) + extra_tokens
        if current and (len(current) >= max_rows or (len(current) + 1) * width > budget):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to (not including) the earliest stop string."""
    cut = len(text)
    for s in stop:
        at = text.find(s)
        if at != -1:
            cut = min(cut, at)
    return text[:cut]


# Generation-config fields that do not change greedy decoding (sampling knobs, token ids, output flags) and the
# values at which the others do nothing; any other setting leaves decoding to ``model.generate``.
_GREEDY_IRRELEVANT = frozenset({
    "max_length", "max_new_tokens", "do_sample", "temperature", "top_k", "top_p", "min_p", "top_h", "typical_p",
    "epsilon_cutoff", "eta_cutoff", "pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id",
    "use_cache", "output_attentions", "output_hidden_states", "output_scores", "output_logits",
    "return_dict_in_generate", "renormalize_logits", "length_penalty", "early_stopping", "transformers_version",
    "_from_model_config", "stop_strings", "disable_compile", "compile_config",
})
_GREEDY_NEUTRAL: dict[str, Any] = {"num_beams": 1, "num_return_sequences": 1, "repetition_penalty": 1.0,
                                   "encoder_repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "min_length": 0,
                                   "min_new_tokens": 0, "guidance_scale": 1.0, "remove_invalid_values": False}


def unwrap(model: Any) -> Any:
    """The transformers model under a peft wrapper (whose forward takes ``**kwargs``)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def _forward_params(model: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(unwrap(model).forward).parameters)
    except (TypeError, ValueError):
        return frozenset()


def last_logits_only(model: Any, keep: int) -> dict[str, Any]:
    """``{"logits_to_keep": keep}`` where the model's forward takes it (the output head only where needed)."""
    return {"logits_to_keep": keep} if "logits_to_keep" in _forward_params(model) else {}


def prompt_learning(model: Any) -> bool:
    """Whether ``model`` is a peft prompt-learning model (virtual tokens before the input: its own masks and cache)."""
    return bool(getattr(getattr(model, "active_peft_config", None), "is_prompt_learning", False))


def plain_greedy(model: Any) -> bool:
    """Whether ``model.generate(do_sample=False)`` is plain greedy decoding (nothing in its generation config
    changes the argmax), so the engine's own loop gives the same tokens."""
    config = getattr(model, "generation_config", None)
    if config is None or getattr(getattr(model, "config", None), "is_encoder_decoder", False) or prompt_learning(model):
        return False
    settings = config.to_diff_dict() if hasattr(config, "to_diff_dict") else {}
    return all(key in _GREEDY_IRRELEVANT or value is None or _GREEDY_NEUTRAL.get(key, object()) == value
               for key, value in settings.items())


def _decode_greedy(model: Any, tokenizer: Any, rows: list[list[int]], params: DecodingParams) -> list[list[int]]:
    """New token ids per prompt row (EOS excluded), greedy; a row leaves the batch once it has ended."""
    import torch

    new: list[list[int]] = [[] for _ in rows]
    if params.max_new_tokens <= 0:
        return new
    device = next(model.parameters()).device
    eos = tokenizer.eos_token_id
    last_only = last_logits_only(model, 1)
    cache_arg = "cache" if "cache" in _forward_params(model) else "past_key_values"  # renamed in transformers 5.2x
    batch = tokenizer.pad({"input_ids": rows}, return_tensors="pt", padding=True)
    ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)  # as model.generate derives them
    tail = max((len(s) for s in params.stop), default=0) + 2  # tokens enough to hold a stop string
    active = list(range(len(rows)))
    cache = None
    with torch.inference_mode():
        while True:
            out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True,
                        **{cache_arg: cache}, **last_only)
            cache = out[cache_arg]
            chosen = out.logits[:, -1].argmax(dim=-1)
            keep = []
            for r, token in enumerate(chosen.tolist()):
                row = new[active[r]]
                if token == eos:
                    continue
                row.append(token)
                if len(row) < params.max_new_tokens and not _stopped(tokenizer, row, params.stop, tail):
                    keep.append(r)
            if not keep:
                return new
            if len(keep) < len(active):
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                chosen, mask, positions = chosen[index], mask[index], positions[index]
                active = [active[r] for r in keep]
            ids = chosen[:, None]
            mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=-1)
            positions = positions[:, -1:] + 1


def _stopped(tokenizer: Any, tokens: list[int], stop: Sequence[str], tail: int) -> bool:
    """Whether a stop string is in the text of ``tokens``: looked for in the last few tokens' text, confirmed in
    the whole (a miss only costs decoding further; the text is cut at the first stop string anyway)."""
    if not stop:
        return False
    recent = tokenizer.decode(tokens[-tail:], skip_special_tokens=False)
    if not any(s in recent for s in stop):
        return False
    text = tokenizer.decode(tokens, skip_special_tokens=False)
    return any(s in text for s in stop)


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    params: DecodingParams = DecodingParams(),
    batch_size: int | None = 16,
    on_batch: Callable[[int], None] | None = None,
) -> list[Generation]:
    """Generate a completion for each rendered prompt (chat template already applied).

    ``batch_size`` caps the rows of a batch; ``None`` lets the token budget alone decide (auto-tuned).
    ``on_batch`` is called after each batch with the number of rows it finished (progress).
    """
    import torch

    if not prompts:
        return []
    tokenizer.padding_side = "left"
    encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    max_rows = min(batch_size or MAX_BATCH_ROWS, MAX_BATCH_ROWS)
    budget = token_budget(model) if batch_size is None else max(token_budget(model), max_rows * (max(lengths) + params.max_new_tokens))
    batches = plan_batches(lengths, params.max_new_tokens, budget, max_rows)
    results: list[Generation | None] = [None] * len(prompts)
    device = next(model.parameters()).device
    eos = tokenizer.eos_token_id
    stop_kwargs: dict[str, Any] = {"stop_strings": list(params.stop), "tokenizer": tokenizer} if params.stop else {}
    own_loop = not params.do_sample and plain_greedy(model)
    for idx in batches:
        began = time.perf_counter()
        if own_loop:
            new = _decode_greedy(model, tokenizer, [encoded[i] for i in idx], params)
        else:
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt", padding=True)
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.inference_mode():
                out = model.generate(
                    **batch,
                    max_new_tokens=params.max_new_tokens,
                    do_sample=params.do_sample,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=eos,
                    **stop_kwargs,
                )
            new = out[:, batch["input_ids"].shape[1] :].tolist()
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        for row, i in enumerate(idx):
            tokens = new[row]
            if eos in tokens:
                tokens = tokens[: tokens.index(eos)]
            while tokens and tokens[-1] == tokenizer.pad_token_id:
                tokens.pop()
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            if params.stop:
                text = cut_at_stop(text, params.stop)
            results[i] = Generation(text=text, new_tokens=len(tokens), latency_ms=elapsed_ms / len(idx))
        if on_batch is not None:
            on_batch(len(idx))
    return [r for r in results if r is not None]
